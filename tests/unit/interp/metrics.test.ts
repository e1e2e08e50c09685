import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, type Model } from '../../../src/engine';
import { headGateHooks } from '../../../src/interp/heads';
import { lastTokenKl, measure, refusalProbability } from '../../../src/interp/metrics';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { llamaSpec, randomModel } from '../../support/random-model';

const PROMPTS = [
  [1, 5, 9, 3, 17],
  [2, 7, 7, 1, 30, 12, 44, 8],
  [40, 41, 3],
];

describe('metrics of the next-token distribution', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(llamaSpec(), 13);
  });
  afterAll(() => model.dispose());

  /** Softmax of each prompt's last-token logits, run alone. */
  const probs = (p: number[], hooks = {}) => {
    const r = model.run(p, { logits: 'last', hooks });
    const out = tf.tidy(() => tf.softmax(r.logits!).dataSync() as Float32Array);
    disposeResult(r);
    return out;
  };

  it("scores refusal as the log-odds of the refusal tokens' probability, per prompt in padded batches", async () => {
    const R = [3, 7, 11];
    const scores = await expectNoLeaks(() =>
      measure(model, PROMPTS, { kind: 'refusal-score', refusal: R }, { batchSize: 2 }),
    );
    PROMPTS.forEach((p, i) => {
      const pr = probs(p);
      const mass = R.reduce((s, t) => s + pr[t]!, 0);
      expect(scores[i]!).toBeCloseTo(Math.log(mass / (1 - mass)), 4);
      expect(refusalProbability(scores[i]!)).toBeCloseTo(mass, 5);
    });
  });

  it('measures a token probability and a logit difference', async () => {
    const prob = await measure(model, PROMPTS, { kind: 'prob', token: 9 });
    const diff = await measure(model, PROMPTS, { kind: 'logit-diff', target: [9], baseline: [10] });
    PROMPTS.forEach((p, i) => {
      const pr = probs(p);
      expect(prob[i]!).toBeCloseTo(pr[9]!, 5);
      expect(diff[i]!).toBeCloseTo(Math.log(pr[9]! / pr[10]!), 4);
    });
    await expect(measure(model, PROMPTS, { kind: 'prob', token: 50 })).rejects.toThrow(
      /outside the vocabulary/,
    );
  });

  it('measures how far hooks move the last-token distribution as KL(base ‖ hooked)', async () => {
    const hooks = headGateHooks(model.spec, [{ layer: 1, head: 0, mode: 'zero' }]);
    const kl = await expectNoLeaks(() => lastTokenKl(model, PROMPTS, hooks, { batchSize: 2 }));
    PROMPTS.forEach((p, i) => {
      const a = probs(p);
      const b = probs(p, hooks);
      const want = a.reduce((s, x, t) => s + x * Math.log(x / b[t]!), 0);
      expect(kl.perPrompt[i]!).toBeCloseTo(want, 5);
    });
    expect(kl.mean).toBeGreaterThan(0);
    expect((await lastTokenKl(model, PROMPTS, {})).mean).toBeCloseTo(0, 6);
  });
});
