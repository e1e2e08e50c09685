import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { disposeResult, loadModel, type Model } from '../../../src/engine/node';
import { logitLens, vectorLens } from '../../../src/interp/lens';
import { useBackend } from '../../support/backend';
import { goldenCases } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel, randomWeights } from '../../support/random-model';

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8];

/** The model's own next-token distributions [pos][vocab], optionally with resid_post[L-1] replaced. */
function distributions(model: Model, tokens: number[], replaceFinalWith?: tf.Tensor): number[][] {
  const L = model.spec.nLayers;
  const hooks = replaceFinalWith ? { [`blocks.${L - 1}.hook_resid_post`]: () => replaceFinalWith } : {};
  const r = model.run(tokens, { hooks });
  const p = tf.tidy(() => tf.softmax(r.logits!).arraySync() as number[][][]);
  disposeResult(r);
  return p[0]!;
}

function topOf(p: number[], k: number): number[] {
  return p
    .map((x, i) => [x, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i);
}

describe.each([
  ['gpt2', gpt2Spec()],
  ['llama', llamaSpec()],
])('logit lens on a random %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 5);
  });
  afterAll(() => model.dispose());

  it("equals the model's own distribution at the last layer", async () => {
    const lens = await expectNoLeaks(() => logitLens(model, PROMPT, { k: 5, track: [7, 11] }));
    const own = distributions(model, PROMPT);
    const last = lens.rows.length - 1;
    expect(lens.rows[last]!.hook).toBe(`blocks.${spec.nLayers - 1}.hook_resid_post`);
    own.forEach((p, t) => {
      const at = (last * PROMPT.length + t) * 5;
      expect([...lens.topIds.slice(at, at + 5)]).toEqual(topOf(p, 5));
      topOf(p, 5).forEach((id, j) => expect(lens.topProbs[at + j]!).toBeCloseTo(p[id]!, 5));
      const entropy = -p.reduce((s, x) => s + x * Math.log(x), 0);
      expect(lens.entropy[last * PROMPT.length + t]!).toBeCloseTo(entropy, 4);
      expect(lens.kl[last * PROMPT.length + t]).toBe(0);
      expect(lens.trackedProbs[(last * PROMPT.length + t) * 2 + 1]!).toBeCloseTo(p[11]!, 5);
    });
  });

  it('reads a middle layer as the model would if its later blocks were skipped', async () => {
    const lens = await logitLens(model, PROMPT, { k: 3, track: [7, 11], includeMid: true });
    expect(lens.rows.map((r) => r.label)).toEqual(['embed', 'mid 0', 'post 0', 'mid 1', 'post 1']);
    const row = 2; // post 0
    const r = model.run(PROMPT, { cache: ['blocks.0.hook_resid_post'], logits: 'none' });
    const p = distributions(model, PROMPT, r.cache.get('blocks.0.hook_resid_post'));
    disposeResult(r);
    const final = distributions(model, PROMPT);
    p.forEach((probs, t) => {
      const at = row * PROMPT.length + t;
      expect(lens.topIds[at * 3]!).toBe(topOf(probs, 1)[0]);
      const kl = final[t]!.reduce((s, q, i) => s + q * (Math.log(q) - Math.log(probs[i]!)), 0);
      expect(lens.kl[at]!).toBeCloseTo(kl, 4);
      [7, 11].forEach((id, j) => {
        expect(lens.trackedProbs[at * 2 + j]!).toBeCloseTo(probs[id]!, 5);
        expect(lens.trackedRanks[at * 2 + j]!).toBe(probs.filter((x) => x > probs[id]!).length);
      });
    });
  });

  it('gives the same result however the layers are chunked', async () => {
    const whole = await logitLens(model, PROMPT, { k: 4, track: [2] });
    const chunked = await logitLens(model, PROMPT, { k: 4, track: [2], chunkElements: 1 });
    expect(chunked.topIds).toEqual(whole.topIds);
    for (const key of ['topProbs', 'entropy', 'kl', 'trackedProbs'] as const)
      chunked[key].forEach((x, i) => expect(x).toBeCloseTo(whole[key][i]!, 6));
  });

  it('shows an intervention active during the pass', async () => {
    const base = await logitLens(model, PROMPT, { k: 1 });
    const hooks = { 'blocks.0.hook_resid_post': (x: tf.Tensor) => tf.mul(x, 0) };
    const zeroed = await logitLens(model, PROMPT, { k: 1, hooks });
    // After the residual is zeroed, the final norm sees only the bias: every position reads alike.
    expect(zeroed.entropy[2 * PROMPT.length]).toBeCloseTo(zeroed.entropy[2 * PROMPT.length + 3]!, 5);
    expect(zeroed.entropy[0]).toBeCloseTo(base.entropy[0]!, 6);
  });
});

describe('vector lens', () => {
  let model: Model;
  const spec = gpt2Spec();
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 4);
  });
  afterAll(() => model.dispose());

  it('ranks tokens by the logits a direction adds through the final norm gain and the unembedding', async () => {
    const v = Float32Array.from({ length: spec.dModel }, (_, i) => Math.sin(i + 1));
    const got = await expectNoLeaks(() => vectorLens(model, v, { k: 5 }));
    // Host computation from the same random weights (tied: W_U = W_E).
    const w = randomWeights(spec, 4);
    const gain = w.get('ln_final.w')!.data;
    const E = w.get('embed.W_E')!.data;
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const logits = Array.from({ length: spec.vocabSize }, (_, t) =>
      v.reduce((s, x, i) => s + (x - mean) * gain[i]! * E[t * spec.dModel + i]!, 0),
    );
    const order = logits.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]);
    expect([...got.promoted.ids]).toEqual(order.slice(0, 5).map(([, i]) => i));
    expect([...got.suppressed.ids]).toEqual(
      order
        .slice(-5)
        .reverse()
        .map(([, i]) => i),
    );
    expect(got.promoted.logits[0]!).toBeCloseTo(order[0]![0], 4);
  });

  it('swaps promoted and suppressed tokens when the direction is negated', async () => {
    const v = Float32Array.from({ length: spec.dModel }, (_, i) => Math.cos(3 * i));
    const up = await vectorLens(model, v, { k: 3 });
    const down = await vectorLens(
      model,
      v.map((x) => -x),
      { k: 3 },
    );
    expect(down.promoted.ids).toEqual(up.suppressed.ids);
  });

  it('refuses a vector of the wrong width', async () => {
    await expect(vectorLens(model, new Float32Array(3))).rejects.toThrow(/residual has 16/);
  });
});

describe('lens on a GPT-2-sized vocabulary', () => {
  it('reads back only top-k values, never a vocabulary-wide row', async () => {
    await useBackend('wasm');
    const spec = gpt2Spec({
      nLayers: 12,
      vocabSize: 50257,
      dModel: 8,
      nHeads: 2,
      nKvHeads: 2,
      dHead: 4,
      dMlp: 16,
    });
    const model = randomModel(spec, 2);
    const tokens = Array.from({ length: 32 }, (_, i) => (i * 977) % 50257);
    const sizes: number[] = [];
    const data = tf.Tensor.prototype.data;
    const dataSync = tf.Tensor.prototype.dataSync;
    const spyA = vi.spyOn(tf.Tensor.prototype, 'data').mockImplementation(function (this: tf.Tensor) {
      sizes.push(this.size);
      return data.call(this);
    });
    const spyS = vi.spyOn(tf.Tensor.prototype, 'dataSync').mockImplementation(function (this: tf.Tensor) {
      sizes.push(this.size);
      return dataSync.call(this);
    });
    try {
      const lens = await expectNoLeaks(() => logitLens(model, tokens, { k: 10, track: [5] }));
      expect(lens.topIds.length).toBe(13 * 32 * 10);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(13 * 32 * 10);
    } finally {
      spyA.mockRestore();
      spyS.mockRestore();
      model.dispose();
    }
  });
});

describe.each(goldenCases().filter((c) => c.source && ['gpt2-tiny', 'llama-gqa'].includes(c.name)))(
  'lens on the $name reference',
  (c) => {
    it("reads the reference model's logits at the last layer", async () => {
      await useBackend('wasm');
      const model = await loadModel(c.source!);
      const seq = c.golden.sequences[2]!;
      const lens = await logitLens(model, seq, { k: 3 });
      const ref = c.tensors.read('logits.2').data; // [1, pos, vocab]
      const V = model.spec.vocabSize;
      const last = lens.rows.length - 1;
      seq.forEach((_, t) => {
        const row = Array.from(ref.subarray(t * V, (t + 1) * V));
        const max = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
        const at = (last * seq.length + t) * 3;
        expect(lens.topIds[at]!).toBe(row.indexOf(max));
        expect(lens.topProbs[at]!).toBeCloseTo(1 / z, 4);
      });
      // The embedding row reads the reference's resid_pre[0] (sequence 1) through the model's read-out.
      const s1 = c.golden.sequences[1]!;
      const embed = await logitLens(model, s1, { k: 1 });
      const refResid = c.tensors.read('acts.1.blocks.0.hook_resid_pre');
      const replaced = tf.tensor(refResid.data, [1, ...refResid.shape]);
      const own = distributions(model, s1, replaced);
      replaced.dispose();
      own.forEach((p, t) => {
        expect(embed.topIds[t]!).toBe(topOf(p, 1)[0]);
        expect(embed.topProbs[t]!).toBeCloseTo(p[topOf(p, 1)[0]!]!, 4);
      });
      model.dispose();
    });
  },
);
