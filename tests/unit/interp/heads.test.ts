import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, generate, type Hooks, type Model } from '../../../src/engine';
import { type HeadGate, headGateHooks, headMeans } from '../../../src/interp/heads';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8];
const REFERENCE = [
  [1, 5, 9, 3],
  [2, 7, 7, 1, 30, 12],
  [40, 41],
];

function logits(model: Model, hooks: Hooks, tokens = PROMPT): Float32Array {
  const r = model.run(tokens, { hooks });
  const out = r.logits!.dataSync() as Float32Array;
  disposeResult(r);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.each([
  ['gpt2 (output bias)', gpt2Spec()],
  ['llama (GQA, no bias)', llamaSpec()],
])('head gates on a random %s', (_, spec) => {
  let model: Model;
  const { nHeads: H, dHead: D } = spec;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 8);
  });
  afterAll(() => model.dispose());

  it("zeroing every head of a layer leaves only the attention output's bias", async () => {
    const gates: HeadGate[] = Array.from({ length: H }, (_, head) => ({ layer: 1, head, mode: 'zero' }));
    const bias = model.weights.maybe('blocks.1.attn.b_O');
    const onlyBias: Hooks = {
      'blocks.1.hook_attn_out': (x) => (bias ? tf.mul(tf.onesLike(x), bias) : tf.zerosLike(x)),
    };
    const gated = await expectNoLeaks(() => logits(model, headGateHooks(spec, gates)));
    expect(maxAbsDiff(gated, logits(model, onlyBias))).toBeLessThan(1e-5);
    expect(maxAbsDiff(gated, logits(model, {}))).toBeGreaterThan(1e-3);
  });

  it('scales one head and leaves the others untouched', () => {
    const cacheResult = (hooks: Hooks) => {
      const r = model.run(PROMPT, { hooks, cache: ['blocks.0.attn.hook_result'], logits: 'none' });
      const out = r.cache.get('blocks.0.attn.hook_result')!.arraySync() as number[][][][]; // [1, p, H, d]
      disposeResult(r);
      return out[0]!;
    };
    const base = cacheResult({});
    const scaled = cacheResult(headGateHooks(spec, [{ layer: 0, head: 2, mode: 'scale', factor: -1.5 }]));
    base.forEach((row, t) =>
      row.forEach((result, h) =>
        result.forEach((x, i) => expect(scaled[t]![h]![i]!).toBeCloseTo(h === 2 ? -1.5 * x : x, 5)),
      ),
    );
    expect(logits(model, headGateHooks(spec, [{ layer: 0, head: 1, mode: 'scale', factor: 1 }]))).toEqual(
      logits(model, {}),
    );
  });

  it("mean ablation puts the head's mean over the reference prompts at every position", async () => {
    const means = await expectNoLeaks(() => headMeans(model, REFERENCE, { batchSize: 2 }));
    // Each prompt's mean over its tokens, then the mean over prompts, computed prompt by prompt.
    const want = new Float32Array(H * D);
    for (const p of REFERENCE) {
      const r = model.run(p, { cache: ['blocks.1.attn.hook_z'], logits: 'none' });
      const z = r.cache.get('blocks.1.attn.hook_z')!.dataSync();
      disposeResult(r);
      for (let t = 0; t < p.length; t++)
        for (let i = 0; i < H * D; i++) want[i]! += z[t * H * D + i]! / p.length / REFERENCE.length;
    }
    expect(maxAbsDiff(means.z[1]!, want)).toBeLessThan(1e-5);
    const hooks = headGateHooks(spec, [{ layer: 1, head: 3, mode: 'mean' }], means);
    const r = model.run(PROMPT, { hooks, cache: ['blocks.1.attn.hook_z'], logits: 'none' });
    const z = r.cache.get('blocks.1.attn.hook_z')!.dataSync();
    disposeResult(r);
    for (let t = 0; t < PROMPT.length; t++)
      for (let i = 0; i < D; i++) expect(z[(t * H + 3) * D + i]).toBeCloseTo(want[3 * D + i]!, 5);
  });

  it('applies on every decode step of a generation', async () => {
    const hooks = headGateHooks(spec, [
      { layer: 0, head: 0, mode: 'zero' },
      { layer: 1, head: 1, mode: 'scale', factor: 3 },
    ]);
    const out = await expectNoLeaks(() => generate(model, PROMPT, { maxTokens: 6, hooks, stopTokens: [] }));
    // Greedy by full forward passes with the same gates.
    const seq = [...PROMPT];
    for (let i = 0; i < 6; i++) {
      const l = logits(model, hooks, seq);
      const last = l.subarray((seq.length - 1) * spec.vocabSize);
      seq.push(last.indexOf(Math.max(...last)));
    }
    expect(out.tokens).toEqual(seq.slice(PROMPT.length));
    const plain = await generate(model, PROMPT, { maxTokens: 6, stopTokens: [] });
    expect(out.tokens).not.toEqual(plain.tokens);
  });

  it('lets a later gate on the same head win', () => {
    const later = headGateHooks(spec, [
      { layer: 0, head: 1, mode: 'zero' },
      { layer: 0, head: 1, mode: 'scale', factor: 2 },
    ]);
    expect(logits(model, later)).toEqual(
      logits(model, headGateHooks(spec, [{ layer: 0, head: 1, mode: 'scale', factor: 2 }])),
    );
  });

  it('names the problem with a head that does not exist or means that are missing', () => {
    expect(() => headGateHooks(spec, [{ layer: 0, head: H, mode: 'zero' }])).toThrow(/Head 4 does not exist/);
    expect(() => headGateHooks(spec, [{ layer: 5, head: 0, mode: 'zero' }])).toThrow(/Layer 5/);
    expect(() => headGateHooks(spec, [{ layer: 0, head: 0, mode: 'mean' }])).toThrow(/headMeans/);
  });
});
