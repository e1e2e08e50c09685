/** Small in-memory checkpoints with Hugging Face names, for the family conversion tests. */
import { readFileSync } from 'node:fs';
import type { CheckpointReader } from '../../../../src/engine/families';
import type { HostTensor } from '../../../../src/engine/spec';

/** Deterministic uniform values in [-1, 1) (mulberry32), so failures reproduce. */
export function randomTensor(shape: readonly number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return { shape: [...shape], data };
}

/** A checkpoint from name → shape, filled with distinct random values; records what was read. */
export function checkpointOf(shapes: Record<string, readonly number[]>): CheckpointReader & {
  tensors: Map<string, HostTensor>;
  reads: string[];
} {
  const tensors = new Map<string, HostTensor>();
  let seed = 1;
  for (const [name, shape] of Object.entries(shapes)) tensors.set(name, randomTensor(shape, seed++));
  const reads: string[] = [];
  return {
    tensors,
    reads,
    names: [...tensors.keys()],
    read(name) {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`test checkpoint has no ${name}`);
      reads.push(name);
      return t;
    },
  };
}

/** Element [i, j] of a row-major 2-D tensor. */
export const at = (t: HostTensor, i: number, j: number) => t.data[i * t.shape[1]! + j]!;

/** Transcriptions of real Hub configs (see tests/fixtures/configs/README.md). */
export function hubConfig(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/configs/${name}.json`, import.meta.url), 'utf8'));
}
