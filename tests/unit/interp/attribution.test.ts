import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, loadModel, type Model } from '../../../src/engine/node';
import { directLogitAttribution } from '../../../src/interp/attribution';
import { headGateHooks } from '../../../src/interp/heads';
import { useBackend } from '../../support/backend';
import { goldenCases } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

const PROMPTS = [
  [1, 5, 9, 3, 17],
  [2, 7, 7, 1, 30, 12, 44, 8],
  [40, 41, 3],
];
const DIRECTION = { target: [3, 8], baseline: [4] };

/** The model's logit difference at each prompt's last token, one prompt at a time. */
function logitDiffs(model: Model, prompts: number[][]): number[] {
  return prompts.map((p) => {
    const r = model.run(p, { logits: 'last' });
    const l = r.logits!.dataSync();
    disposeResult(r);
    return (l[3]! + l[8]!) / 2 - l[4]!;
  });
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

describe.each([
  ['gpt2 (LayerNorm, biases)', gpt2Spec()],
  ['llama (RMSNorm, GQA)', llamaSpec()],
])('direct logit attribution on a random %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 12);
  });
  afterAll(() => model.dispose());

  it('reconstructs the logit difference from heads, MLPs and the remainder', async () => {
    const dla = await expectNoLeaks(() =>
      directLogitAttribution(model, PROMPTS, DIRECTION, { batchSize: 2 }),
    );
    const sum = dla.heads.reduce((s, x) => s + x, 0) + dla.mlps.reduce((s, x) => s + x, 0) + dla.remainder;
    expect(sum).toBeCloseTo(dla.logitDiff, 5);
    // The remainder is the embeddings and biases themselves: nothing is left unexplained.
    expect(Math.abs(dla.other)).toBeLessThan(1e-4);
    expect(dla.logitDiff).toBeCloseTo(mean(logitDiffs(model, PROMPTS)), 4);
    // Attention-output and final-norm biases: GPT-2 has them, this Llama has none.
    if (spec.outBias) expect(Math.abs(dla.biases)).toBeGreaterThan(1e-3);
    else expect(dla.biases).toBe(0);
  });

  it("agrees with each head's own output read through the linearised final norm", async () => {
    const prompt = PROMPTS[1]!;
    const dla = await directLogitAttribution(model, [prompt], DIRECTION);
    const L = spec.nLayers;
    const want = tf.tidy(() => {
      const r = model.run(prompt, {
        cache: [
          ...Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_result` as const),
          `blocks.${L - 1}.hook_resid_post`,
        ],
        logits: 'none',
      });
      const last = (t: tf.Tensor) => tf.squeeze(tf.slice(t, [0, prompt.length - 1], [1, 1]));
      const W_U = model.weights.dense('unembed.W_U');
      const d = tf.sub(tf.mean(tf.gather(W_U, [3, 8], 1), 1), tf.squeeze(tf.gather(W_U, [4], 1)));
      const x = last(r.cache.get(`blocks.${L - 1}.hook_resid_post`)!);
      const sigma =
        spec.norm === 'rms'
          ? tf.sqrt(tf.add(tf.mean(tf.square(x)), spec.normEps))
          : tf.sqrt(tf.add(tf.moments(x).variance, spec.normEps));
      const out = Array.from({ length: L }, (_, l) => {
        let res = last(r.cache.get(`blocks.${l}.attn.hook_result`)!); // [H, d]
        if (spec.norm === 'layer') res = tf.sub(res, tf.mean(res, 1, true));
        return tf.div(tf.sum(tf.mul(tf.mul(res, model.weights.get('ln_final.w')), d), 1), sigma);
      });
      disposeResult(r);
      return tf.concat(out).arraySync() as number[];
    });
    want.forEach((w, i) => expect(dla.heads[i]!).toBeCloseTo(w, 4));
  });

  it('gives an ablated head no attribution and keeps the reconstruction exact under gates', async () => {
    const hooks = headGateHooks(spec, [{ layer: 1, head: 2, mode: 'zero' }]);
    const dla = await directLogitAttribution(model, PROMPTS, DIRECTION, { hooks });
    expect(dla.heads[1 * spec.nHeads + 2]).toBe(0);
    expect(Math.abs(dla.other)).toBeLessThan(1e-4);
  });

  it('puts what a steering hook adds to the residual in the remainder', async () => {
    // Not constant: LayerNorm's centring would erase a constant vector.
    const v = tf.tensor1d(Array.from({ length: spec.dModel }, (_, i) => Math.sin(i)));
    const hooks = { 'blocks.1.hook_resid_pre': (x: tf.Tensor) => tf.add(x, v) };
    const dla = await directLogitAttribution(model, PROMPTS, DIRECTION, { hooks });
    v.dispose();
    expect(Math.abs(dla.other)).toBeGreaterThan(1e-3);
    const sum = dla.heads.reduce((s, x) => s + x, 0) + dla.mlps.reduce((s, x) => s + x, 0) + dla.remainder;
    expect(sum).toBeCloseTo(dla.logitDiff, 5);
  });

  it('reads any position, counted from the start or the end', async () => {
    const a = await directLogitAttribution(model, [PROMPTS[1]!], DIRECTION, { position: 2 });
    const b = await directLogitAttribution(model, [PROMPTS[1]!], DIRECTION, {
      position: 2 - PROMPTS[1]!.length,
    });
    const c = await directLogitAttribution(model, [PROMPTS[1]!.slice(0, 3)], DIRECTION);
    expect(a.heads).toEqual(b.heads);
    c.heads.forEach((x, i) => expect(a.heads[i]!).toBeCloseTo(x, 5));
  });
});

describe.each(goldenCases().filter((c) => c.source && ['gpt2-tiny', 'qwen2-tiny'].includes(c.name)))(
  'direct logit attribution on the $name reference',
  (c) => {
    it('reconstructs the reference logit difference', async () => {
      await useBackend('wasm');
      const model = await loadModel(c.source!);
      const seq = c.golden.sequences[2]!;
      const dla = await directLogitAttribution(model, [seq], { target: [5], baseline: [6] });
      const V = model.spec.vocabSize;
      const ref = c.tensors.read('logits.2').data.subarray((seq.length - 1) * V);
      expect(dla.logitDiff).toBeCloseTo(ref[5]! - ref[6]!, 3);
      expect(Math.abs(dla.other)).toBeLessThan(1e-3);
      model.dispose();
    });
  },
);
