/**
 * The block's fused operations: Rudder's WebAssembly kernels (used on the wasm backend) against
 * the same formulas composed of tfjs ops (what the CPU backend runs), on shapes that reach every
 * remainder path of the kernels (widths not a multiple of 4, 8 or 16; grouped-query attention;
 * masks per row; one query against a long cache; soft-capping; the by-products hooks read).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  attentionMix,
  attentionPattern,
  denseWeight,
  gatedActivation,
  gatherColumns,
  headResults,
  isBfloat16,
  lensStats,
  type MatrixWeight,
  matMul,
  normalize,
  packWeight,
  sumHeads,
  withComposedOps,
} from '../../../../src/engine/kernels/ops';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';

/** [m, k, n] that reach every matmul path: 4-row blocks (packed rows and not), 1-3 rows, a partial panel. */
const MATMUL_SHAPES = [
  [64, 96, 80],
  [7, 33, 21],
  [1, 768, 50],
  [3, 5, 8],
] as const;

let seed = 7;
function rand(shape: number[], scale = 1): { shape: number[]; data: Float32Array } {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    data[i] = (seed / 2 ** 32 - 0.5) * 2 * scale;
  }
  return { shape, data };
}

/** Causal (and, per row, left-pad) additive mask [rows, 1, p, t] for p queries after `offset` keys. */
function mask(
  rows: number,
  p: number,
  offset: number,
  pads: number[] = [],
): { shape: number[]; data: Float32Array } {
  const t = offset + p;
  const data = new Float32Array(rows * p * t);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < p; i++)
      for (let j = 0; j < t; j++) if (j > offset + i || j < (pads[r] ?? 0)) data[(r * p + i) * t + j] = -1e9;
  return { shape: [rows, 1, p, t], data };
}

type Host = { shape: number[]; data: Float32Array };

/** W and, on WebAssembly, its packed panels (the device weights keep only the panels there). */
function matrixWeight(W: tf.Tensor2D): MatrixWeight {
  return { k: W.shape[0], n: W.shape[1], W, packed: packWeight(W, false) };
}

/** The same values as bfloat16 numbers (the low 16 bits cleared), as a bfloat16 checkpoint holds. */
function toBfloat16(h: Host): Host {
  const data = h.data.slice();
  const bits = new Uint32Array(data.buffer);
  for (let i = 0; i < bits.length; i++) bits[i]! &= 0xffff0000;
  return { shape: h.shape, data };
}
type Op = (...xs: tf.Tensor[]) => tf.Tensor;

/** The op on CPU (tfjs ops) and on wasm (native kernel): max |Δ| relative to the output's scale. */
async function compare(op: Op, inputs: Host[]): Promise<{ rel: number; kernels: string[] }> {
  const runOn = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    const xs = inputs.map((h) => tf.tensor(h.data, h.shape));
    const info = await tf.profile(() => op(...xs));
    const out = {
      data: (info.result as tf.Tensor).dataSync().slice(),
      shape: (info.result as tf.Tensor).shape,
    };
    (info.result as tf.Tensor).dispose();
    tf.dispose(xs);
    return { ...out, kernels: info.kernelNames };
  };
  const want = await runOn('cpu');
  const got = await runOn('wasm');
  expect(got.shape).toEqual(want.shape);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.data.length; i++) {
    diff = Math.max(diff, Math.abs(got.data[i]! - want.data[i]!));
    scale = Math.max(scale, Math.abs(want.data[i]!));
  }
  return { rel: diff / scale, kernels: got.kernels };
}

const T4 = (t: tf.Tensor) => t as tf.Tensor4D;

describe('fused operations: native WebAssembly kernels against tfjs ops', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => useBackend('wasm'));

  const attentionCases: [string, number, number, number, number, number, number, number[]?, number?][] = [
    // name, batch, new positions, heads, kv heads, head width, earlier keys, left pads, soft-cap
    ['a prompt (GPT-2 shape, causal)', 1, 19, 4, 4, 16, 0],
    ['a prompt with grouped-query heads and an odd head width', 2, 7, 6, 2, 13, 0],
    ['one decode step against a cache', 1, 1, 4, 2, 8, 37],
    ['a left-padded batch continuing a cache', 3, 5, 4, 4, 20, 6, [0, 2, 5]],
    ['soft-capped scores (Gemma 2)', 1, 6, 4, 2, 16, 3, undefined, 0.5],
  ];
  for (const [name, b, p, h, kh, d, offset, pads, cap] of attentionCases) {
    it(`computes attention patterns, scores and mixes for ${name}`, async () => {
      const t = offset + p;
      const q = rand([b, p, h, d], 3);
      const k = rand([b, kh, t, d]);
      const v = rand([b, kh, t, d]);
      const opts = { scale: 1 / Math.sqrt(d), softcap: cap, withScores: true };
      const m = p > 1 || pads ? mask(pads ? b : 1, p, offset, pads) : undefined;
      const inputs = m ? [q, k, m] : [q, k];
      const pat = await compare((qq, kk, mm) => attentionPattern(T4(qq!), T4(kk!), mm, opts).pattern, inputs);
      expect(pat.rel).toBeLessThan(1e-6);
      expect(pat.kernels).toEqual(['RudderAttnPattern']);
      // Scores: masked entries sit near -1e9 on both sides; compare the visible ones.
      const visible = (s: tf.Tensor) => tf.where(tf.greater(s, -1e8), s, tf.zerosLike(s));
      const scores = await compare(
        (qq, kk, mm) => visible(attentionPattern(T4(qq!), T4(kk!), mm, opts).scores!),
        inputs,
      );
      expect(scores.rel).toBeLessThan(1e-5);
      const pattern = rand([b, h, p, t]);
      const mix = await compare((pp, vv) => attentionMix(T4(pp!), T4(vv!)), [pattern, v]);
      expect(mix.rel).toBeLessThan(1e-6);
      expect(mix.kernels).toEqual(['RudderAttnMix']);
    });
  }

  it('zeroes the masked keys of a pattern exactly', async () => {
    await useBackend('wasm');
    const m = mask(1, 5, 0);
    const out = tf.tidy(
      () =>
        attentionPattern(
          T4(tf.tensor(rand([1, 5, 2, 8]).data, [1, 5, 2, 8])),
          T4(tf.tensor(rand([1, 2, 5, 8]).data, [1, 2, 5, 8])),
          tf.tensor(m.data, m.shape),
          { scale: 0.3, softcap: undefined, withScores: false },
        ).pattern,
    );
    const p = out.dataSync();
    out.dispose();
    for (let i = 0; i < p.length; i++) if (m.data[i % 25] !== 0) expect(p[i]).toBe(0);
  });

  for (const [rows, h, d, n] of [
    [64, 12, 64, 96],
    [9, 3, 5, 21],
    [1, 4, 8, 16],
  ] as const) {
    it(`computes per-head results and their sum for ${rows} rows, ${h} heads of ${d} → ${n}`, async () => {
      const z = rand([1, rows, h, d]);
      const wO = rand([h * d, n], 0.2);
      const res = await compare(
        (zz, ww) => {
          const w = matrixWeight(ww as tf.Tensor2D);
          const y = headResults(T4(zz!), w);
          w.packed?.dispose();
          return y;
        },
        [z, wO],
      );
      expect(res.rel).toBeLessThan(1e-6);
      expect(res.kernels).toEqual(['RudderPackPanels', 'RudderHeadResults']);
      const result = rand([1, rows, h, n]);
      const bias = rand([n]);
      const sum = await compare((rr, bb) => sumHeads(T4(rr!), bb), [result, bias]);
      expect(sum.rel).toBeLessThan(1e-6);
      expect(sum.kernels).toEqual(['RudderSumHeads']);
    });
  }

  for (const [m, k, n] of MATMUL_SHAPES) {
    it(`multiplies [${m}, ${k}] by a packed [${k}, ${n}] weight, with and without a bias`, async () => {
      const x = rand([m, k]);
      const w = rand([k, n], 0.3);
      const bias = rand([n]);
      const product = (xx: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) => {
        const w = matrixWeight(ww as tf.Tensor2D);
        const y = matMul(xx as tf.Tensor2D, w, bb);
        w.packed?.dispose();
        return y;
      };
      const withBias = await compare(product, [x, w, bias]);
      expect(withBias.rel).toBeLessThan(1e-6);
      expect(withBias.kernels).toEqual(['RudderPackPanels', 'RudderMatMul']);
      const plain = await compare((xx, ww) => product(xx!, ww!), [x, w]);
      expect(plain.rel).toBeLessThan(1e-6);
    });
  }

  for (const act of ['gelu_new', 'silu'] as const) {
    // 4 rows and fewer (a decode step's path), a partial last panel (21 columns).
    for (const [m, k, n] of [
      [9, 33, 21],
      [1, 64, 40],
    ] as const) {
      it(`applies ${act} inside the matmul of [${m}, ${k}] by [${k}, ${n}], as the separate op would`, async () => {
        const x = rand([m, k], 2);
        const w = rand([k, n], 0.5);
        const bias = rand([n]);
        const fused = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          const w = matrixWeight(ww as tf.Tensor2D);
          const y = matMul(xx as tf.Tensor2D, w, bb, act);
          w.packed?.dispose();
          return y;
        };
        const got = await compare(fused, [x, w, bias]);
        expect(got.rel).toBeLessThan(1e-6);
        expect(got.kernels).toEqual(['RudderPackPanels', 'RudderMatMul']);
        // Natively, the same floats as the matmul followed by the activation kernel.
        await useBackend('wasm');
        const [xx, ww, bb] = [x, w, bias].map((h) => tf.tensor(h.data, h.shape));
        const W = matrixWeight(ww as tf.Tensor2D);
        const one = matMul(xx as tf.Tensor2D, W, bb, act);
        const plain = matMul(xx as tf.Tensor2D, W, bb);
        const two = activate(plain, act);
        expect(one.dataSync()).toEqual(two.dataSync());
        tf.dispose([xx!, ww!, bb!, W.packed!, one, plain, two]);
      });
    }
  }

  it('reads a weight held only as packed panels: its values, its columns, and a composed matmul', async () => {
    await useBackend('wasm');
    const host = rand([13, 21]); // 21 columns: the last panel is padded
    const W = tf.tensor2d(host.data, [13, 21]);
    const onlyPanels: MatrixWeight = { k: 13, n: 21, W: undefined, packed: packWeight(W, false) };
    expect(onlyPanels.packed).toBeDefined();
    await expectNoLeaks(() => {
      const dense = tf.tidy(() => denseWeight(onlyPanels));
      expect(dense.shape).toEqual([13, 21]);
      expect(dense.dataSync()).toEqual(W.dataSync());
      const ids = tf.tensor1d([0, 7, 8, 20, 8], 'int32');
      const cols = tf.tidy(() => gatherColumns(onlyPanels, ids));
      const want = tf.tidy(() => tf.transpose(tf.gather(W, ids, 1)));
      expect(cols.shape).toEqual([5, 13]);
      expect(cols.dataSync()).toEqual(want.dataSync());
      const x = tf.tensor2d(rand([3, 13]).data, [3, 13]);
      // Composed (as under a gradient tape): the panels are unpacked for the call, in the tidy.
      const y = tf.tidy(() => withComposedOps(() => matMul(x, onlyPanels, undefined)));
      const yWant = tf.matMul(x, W);
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(y, yWant))));
      expect(gap.dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([dense, ids, cols, want, x, y, yWant, gap]);
    });
    tf.dispose([W, onlyPanels.packed!]);
  });

  it('holds bfloat16 weights in 16-bit panels and computes exactly what float32 panels of the same values give', async () => {
    await useBackend('wasm');
    expect(isBfloat16(toBfloat16(rand([5, 7])).data)).toBe(true);
    expect(isBfloat16(rand([5, 7]).data)).toBe(false);
    await expectNoLeaks(() => {
      for (const [m, k, n] of MATMUL_SHAPES) {
        const W = tf.tensor2d(toBfloat16(rand([k, n], 0.3)).data, [k, n]);
        const panels = (bf16: boolean) => ({ k, n, W: undefined, packed: packWeight(W, bf16)! });
        const [full, half] = [panels(false), panels(true)];
        expect(half.packed.dtype).toBe('int32');
        expect(half.packed.size * 2).toBe(full.packed.size); // half the bytes
        const x = tf.tensor2d(rand([m, k], 2).data, [m, k]);
        const bias = tf.tensor1d(rand([n]).data);
        const same = (f: (w: MatrixWeight) => tf.Tensor) => {
          const a = tf.tidy(() => f(full));
          const b = tf.tidy(() => f(half));
          expect(b.shape).toEqual(a.shape);
          expect(b.dataSync()).toEqual(a.dataSync());
          tf.dispose([a, b]);
        };
        same((w) => matMul(x, w, bias));
        same((w) => matMul(x, w, undefined, 'silu'));
        same((w) => denseWeight(w));
        same((w) => gatherColumns(w, tf.tensor1d([0, n - 1, 8 % n, n - 1], 'int32')));
        same((w) => withComposedOps(() => matMul(x, w, bias)));
        const dense = tf.tidy(() => denseWeight(half));
        expect(dense.dataSync()).toEqual(W.dataSync());
        tf.dispose([W, full.packed, half.packed, x, bias, dense]);
      }
      // Per-head results read a head's rows out of every panel.
      const [rows, h, d, n] = [9, 3, 5, 21];
      const WO = tf.tensor2d(toBfloat16(rand([h * d, n], 0.2)).data, [h * d, n]);
      const z = tf.tensor4d(rand([1, rows, h, d]).data, [1, rows, h, d]);
      const results = (bf16: boolean) => {
        const w = { k: h * d, n, W: undefined, packed: packWeight(WO, bf16)! };
        const y = headResults(z, w);
        w.packed.dispose();
        return y;
      };
      const [a, b] = [results(false), results(true)];
      expect(b.dataSync()).toEqual(a.dataSync());
      tf.dispose([WO, z, a, b]);
    });
  });

  it('packs a matrix from its transpose into the same panels, float32 and bfloat16', async () => {
    await useBackend('wasm');
    await expectNoLeaks(() => {
      const E = tf.tensor2d(toBfloat16(rand([21, 13])).data, [21, 13]); // [n, k], as an embedding
      const W = tf.transpose(E) as tf.Tensor2D; // [k, n]
      for (const bf16 of [false, true]) {
        const [fromW, fromE] = [packWeight(W, bf16)!, packWeight(E, bf16, true)!];
        expect(fromE.dtype).toBe(fromW.dtype);
        expect(fromE.dataSync()).toEqual(fromW.dataSync());
        tf.dispose([fromW, fromE]);
      }
      tf.dispose([E, W]);
    });
  });

  it('refuses a column outside a packed weight', async () => {
    await useBackend('wasm');
    const W = tf.tensor2d(rand([4, 10]).data, [4, 10]);
    const w: MatrixWeight = { k: 4, n: 10, W: undefined, packed: packWeight(W, true) };
    const ids = tf.tensor1d([3, 10], 'int32');
    expect(() => gatherColumns(w, ids)).toThrow(/column 10 is not in \[0, 9\]/);
    tf.dispose([W, w.packed!, ids]);
  });

  for (const d of [768, 30, 3]) {
    it(`normalises rows of width ${d} (LayerNorm and RMSNorm), with their scales`, async () => {
      const x = rand([2, 5, d], 3);
      const w = rand([d]);
      const b = rand([d]);
      for (const withScale of [false, true]) {
        const ln = await compare((xx, ww, bb) => normalize(xx!, ww!, bb!, 1e-5, withScale).out, [x, w, b]);
        expect(ln.rel).toBeLessThan(1e-6);
        expect(ln.kernels).toEqual(['RudderNorm']);
        const rms = await compare((xx, ww) => normalize(xx!, ww!, undefined, 1e-6, withScale).out, [x, w]);
        expect(rms.rel).toBeLessThan(1e-6);
      }
      const lnScale = await compare((xx, ww, bb) => normalize(xx!, ww!, bb!, 1e-5, true).scale!, [x, w, b]);
      expect(lnScale.rel).toBeLessThan(1e-6);
      const rmsScale = await compare((xx, ww) => normalize(xx!, ww!, undefined, 1e-6, true).scale!, [x, w]);
      expect(rmsScale.rel).toBeLessThan(1e-6);
    });
  }

  for (const act of ['gelu_new', 'silu'] as const) {
    it(`applies ${act}, plain and gated, over the full range of inputs, odd widths included`, async () => {
      const plain = await compare((xx) => activate(xx!, act), [rand([3, 7, 37], 12)]);
      expect(plain.rel).toBeLessThan(1e-6);
      expect(plain.kernels).toEqual(['RudderActivate']);
      const gated = await compare((xx) => gatedActivation(xx!, act), [rand([2, 3, 2 * 19], 12)]);
      expect(gated.rel).toBeLessThan(1e-6);
      expect(gated.kernels).toEqual(['RudderGated']);
    });
  }

  it('leaves no tensors behind', async () => {
    await useBackend('wasm');
    const q = tf.tensor(rand([1, 4, 2, 8]).data, [1, 4, 2, 8]) as tf.Tensor4D;
    const k = tf.tensor(rand([1, 2, 4, 8]).data, [1, 2, 4, 8]) as tf.Tensor4D;
    const opts = { scale: 1, softcap: 0.7, withScores: true };
    await expectNoLeaks(() =>
      tf
        .tidy(() => {
          const { pattern, scores } = attentionPattern(q, k, undefined, opts);
          return [attentionMix(pattern, k), scores!];
        })
        .forEach((t) => t.dispose()),
    );
    tf.dispose([q, k]);
  });

  it("computes the lens's row statistics as the composed formula does, in one pass", async () => {
    await useBackend('wasm');
    await expectNoLeaks(() => {
      // 3 lens rows per position, 2 positions, a vocabulary that is not a multiple of 4.
      const [n, pos, v] = [3, 2, 1001];
      const x = tf.tensor2d(rand([n * pos, v], 4).data, [n * pos, v]);
      const xf = tf.tensor2d(rand([pos, v], 4).data, [pos, v]);
      const pf = tf.tidy(() => tf.softmax(xf));
      const got = tf.tidy(() => lensStats(x, xf, pf));
      const want = tf.tidy(() => withComposedOps(() => lensStats(x, xf, pf)));
      expect(got.shape).toEqual([n * pos, 4]);
      const [g, w] = [got.arraySync(), want.arraySync()];
      for (let r = 0; r < n * pos; r++) {
        expect(g[r]![0]).toBe(w[r]![0]); // the max is exact
        for (let c = 1; c < 4; c++)
          expect(Math.abs(g[r]![c]! - w[r]![c]!)).toBeLessThan(1e-5 * (1 + Math.abs(w[r]![c]!)));
      }
      tf.dispose([x, xf, pf, got, want]);
    });
  });

  // Fewer than 4 rows, alone and after a full block (the app decodes a baseline and a steered row).
  for (const m of [2, 6, 3]) {
    it(`multiplies ${m} rows as tfjs does, with the activation`, async () => {
      const x = rand([m, 40], 2);
      const w = rand([40, 27], 0.5);
      const bias = rand([27]);
      const result = await compare(
        (xx, ww, bb) => {
          const packed = matrixWeight(ww as tf.Tensor2D);
          const y = matMul(xx as tf.Tensor2D, packed, bb, 'silu');
          packed.packed?.dispose();
          return y;
        },
        [x, w, bias],
      );
      expect(result.rel).toBeLessThan(1e-6);
      expect(result.kernels).toEqual(['RudderPackPanels', 'RudderMatMul']);
    });
  }
});
