/**
 * kernels.c is built with fused multiply-adds (relaxed SIMD, what Chromium runs) and without (what
 * engines lacking relaxed SIMD run). The unit tests run with --experimental-wasm-relaxed-simd
 * (vitest.config.ts), so every engine test exercises the fused build; this file checks that the
 * other build computes the same values, kernel by kernel, up to the rounding a fused multiply-add
 * saves.
 */
import { describe, expect, it } from 'vitest';
import { FUSED_MULTIPLY_ADD } from '../../../../src/engine/kernels/native';
import { PLAIN, PLAIN_FMA } from '../../../../src/engine/kernels/native/kernels-wasm';

type Kernels = Record<string, (...args: number[]) => void>;

const memory = new WebAssembly.Memory({ initial: 256 }); // 16 MiB
const instantiate = (base64: string) =>
  new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))), {
    env: { memory },
  }).exports as unknown as Kernels;
const fused = instantiate(PLAIN_FMA);
const strict = instantiate(PLAIN);

/** A bump allocator over the shared memory (the kernels keep no state between calls). */
let top = 1 << 16;
function alloc(floats: number): number {
  const at = top;
  top += Math.ceil((floats * 4) / 64) * 64;
  return at;
}
const view = (at: number, n: number) => new Float32Array(memory.buffer, at, n);

let seed = 7;
function random(n: number, scale = 1): number {
  const at = alloc(n);
  const v = view(at, n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    v[i] = (seed / 2 ** 32 - 0.5) * 2 * scale;
  }
  return at;
}

/** Runs `call` with each build writing `n` floats at a fresh output, and compares the two. */
function agree(n: number, call: (k: Kernels, out: number) => void, tolerance = 1e-5) {
  const a = alloc(n);
  const b = alloc(n);
  call(fused, a);
  call(strict, b);
  const x = view(a, n);
  const y = view(b, n);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  expect(Number.isFinite(scale) && scale > 0).toBe(true);
  expect(worst / scale).toBeLessThan(tolerance);
}

describe('fused and unfused kernel builds', () => {
  it('the engine picks the fused build where relaxed SIMD validates (here, by the test flag)', () => {
    expect(FUSED_MULTIPLY_ADD).toBe(true);
    expect(Object.keys(fused).sort()).toEqual(Object.keys(strict).sort());
  });

  it('matmul agrees on float32 and bfloat16 panels, with bias and activation, every row count', () => {
    const k = 200;
    const n = 45; // five full panels and a partial one
    const w = random(k * n, 0.2);
    const bias = random(n);
    for (const half of [0, 1]) {
      const packed = alloc(k * n * 2);
      strict.pack_panels!(w, packed, k, n, half, 0);
      for (const m of [1, 2, 3, 4, 9]) {
        const a = random(m * k);
        const ap = alloc(m * k);
        strict.pack_rows!(a, ap, m, k);
        for (const act of [-1, 0, 1])
          agree(m * n, (kern, c) =>
            kern.matmul!(a, ap, packed, bias, c, m, k, n, 0, Math.ceil(n / 8), act, half),
          );
      }
    }
  });

  it('attention (pattern and mix), head results, norm and lens statistics agree', () => {
    const [p, h, kh, d, t] = [5, 4, 2, 32, 7];
    const q = random(p * h * d);
    const keys = random(kh * t * d);
    const v = random(kh * t * d);
    const pattern = alloc(h * p * t);
    strict.attn_pattern!(q, keys, 0, pattern, 0, p, h, kh, d, t, 1, 0.125, 0, 0, h);
    agree(h * p * t, (kern, out) =>
      kern.attn_pattern!(q, keys, 0, out, 0, p, h, kh, d, t, 1, 0.125, 0, 0, h),
    );
    agree(p * h * d, (kern, out) => kern.attn_mix!(pattern, v, out, p, h, kh, d, t, 0, h));

    const n = 24;
    const wO = random(h * d * n, 0.2);
    const packed = alloc(h * d * n);
    strict.pack_panels!(wO, packed, h * d, n, 0, 0);
    const z = random(p * h * d);
    agree(p * h * n, (kern, out) => kern.head_results!(z, packed, out, p, h, d, n, 0, h, 0));

    const x = random(p * 64, 3);
    const gain = random(64);
    agree(p * 64, (kern, out) => kern.norm!(x, gain, 0, out, 0, p, 64, 1e-5, 1));

    const vocab = 300;
    const logits = random(2 * p * vocab, 4);
    const final = random(p * vocab, 4);
    const probs = random(p * vocab, 0.01);
    agree(2 * p * 4, (kern, out) => kern.lens_stats!(logits, final, probs, out, p, vocab, 0, 2 * p));
  });
});
