/**
 * The verdict of a replay's fingerprint against the author's, in one sentence: the page's banner
 * and `rudder replay` say the same words and numbers.
 */
import type { FingerprintCheck } from './api';

const BACKEND_NAMES: Record<string, string> = {
  wasm: 'WebAssembly',
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  cpu: 'CPU',
};

/** A backend as people know it, with its precision: "WebGPU, float32". */
export function backendLabel(backend: string, precision: string): string {
  return `${BACKEND_NAMES[backend] ?? backend}, ${precision}`;
}

/** 1.40e-5 style: the numbers span orders of magnitude. */
export function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

export function describeCheck(
  check: FingerprintCheck,
  replay: { readonly backend: string; readonly precision: string },
): string {
  const sides = `this run on ${backendLabel(replay.backend, replay.precision)}, the author's on ${backendLabel(check.reference.backend, check.reference.precision)}`;
  switch (check.verdict) {
    case 'identical':
      return `Your run matches the author's exactly: every fingerprint value is equal (${sides}).`;
    case 'reproduced':
      return `Your run matches the author's within tolerance: max relative difference ${sci(check.maxRelDiff)}, tolerance ${sci(check.tolerance)} (${sides}).`;
    case 'differs':
      return `Your run differs from the author's: max relative difference ${sci(check.maxRelDiff)}, above the tolerance ${sci(check.tolerance)} (${sides}).`;
  }
}
