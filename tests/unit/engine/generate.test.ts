import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult } from '../../../src/engine/forward';
import { generate, generateBatch } from '../../../src/engine/generate';
import { hookName } from '../../../src/engine/hooks';
import type { Model } from '../../../src/engine/model';
import { sampleTokens, seededRandom } from '../../../src/engine/sampling';
import { NODE_BACKENDS, useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { llamaSpec, randomModel } from '../../support/random-model';

const PROMPT = [5, 17, 23, 42];

/** Greedy decoding the slow way: a full forward over the whole sequence for every token. */
function greedyByFullForward(model: Model, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const r = model.run(seq, { logits: 'last' });
    const id = tf.tidy(() => tf.argMax(tf.reshape(r.logits!, [-1])).arraySync() as number);
    disposeResult(r);
    seq.push(id);
  }
  return seq.slice(prompt.length);
}

for (const backend of NODE_BACKENDS) {
  describe(`generate (${backend})`, () => {
    let model: Model;
    beforeAll(async () => {
      await useBackend(backend);
      model = randomModel(llamaSpec({ eosTokenIds: [] }), 3);
    });
    afterAll(() => model.dispose());

    it('decodes greedily with the KV cache exactly as full forwards do', async () => {
      const { tokens, stopReason } = await expectNoLeaks(() => generate(model, PROMPT, { maxTokens: 12 }));
      expect(stopReason).toBe('max-tokens');
      expect(tokens).toEqual(greedyByFullForward(model, PROMPT, 12));
      expect(new Set(tokens).size).toBeGreaterThan(1);
    });

    it('generates a left-padded batch exactly as each prompt alone, greedy or seeded', async () => {
      const prompts = [PROMPT, [9, 2], [30, 31, 32, 33, 34, 35, 36]];
      const stopAt = (await generate(model, prompts[1]!, { maxTokens: 10 })).tokens[2]!;
      const opts = { maxTokens: 10, stopTokens: [stopAt] };
      const batch = await expectNoLeaks(() => generateBatch(model, prompts, opts));
      for (const [i, p] of prompts.entries()) expect(batch[i]).toEqual(await generate(model, p, opts));
      expect(batch[1]!.stopReason).toBe('stop-token');
      const sampled = { maxTokens: 8, temperature: 1.2, seed: 4, stopTokens: [] };
      const sampledBatch = await generateBatch(model, prompts, sampled);
      for (const [i, p] of prompts.entries())
        expect(sampledBatch[i]).toEqual(await generate(model, p, sampled));
    });

    it("applies each row's own hooks to that row only, and streams each live row's tokens", async () => {
      const push = (by: number) => ({
        [hookName('resid_post', 1)]: (x: tf.Tensor) => tf.add(x, by),
      });
      for (const sampling of [{}, { temperature: 1.2, seed: 4 }]) {
        const opts = { maxTokens: 8, stopTokens: [], ...sampling };
        const plain = await generateBatch(model, [PROMPT, PROMPT], opts);
        // Row 1's hooks change nothing: it reproduces row 0 (strength 0 reproduces the baseline).
        const zero = await generateBatch(model, [PROMPT, PROMPT], { ...opts, hooks: [{}, push(0)] });
        expect(zero).toEqual(plain);
        const streamed: number[][] = [[], []];
        const steered = await expectNoLeaks(() =>
          generateBatch(model, [PROMPT, PROMPT], {
            ...opts,
            hooks: [{}, push(3)],
            onToken: (row, id) => streamed[row]!.push(id),
          }),
        );
        expect(steered[0]).toEqual(plain[0]);
        expect(steered[1]!.tokens).not.toEqual(plain[0]!.tokens);
        expect(steered[1]).toEqual(
          (await generateBatch(model, [PROMPT, PROMPT], { ...opts, hooks: push(3) }))[1],
        );
        expect(streamed).toEqual(steered.map((r) => r.tokens));
      }
      await expect(generateBatch(model, [PROMPT, PROMPT], { maxTokens: 2, hooks: [{}] })).rejects.toThrow(
        /1 for a batch of 2/,
      );
    });

    it('gives the same text for the same seed and another for another seed', async () => {
      const opts = { maxTokens: 16, temperature: 1.5, topP: 0.95 };
      const a = await generate(model, PROMPT, { ...opts, seed: 11 });
      const b = await generate(model, PROMPT, { ...opts, seed: 11 });
      const c = await generate(model, PROMPT, { ...opts, seed: 12 });
      expect(a.tokens).toEqual(b.tokens);
      expect(c.tokens).not.toEqual(a.tokens);
    });

    it('equals greedy decoding when top-k is 1', async () => {
      const greedy = await generate(model, PROMPT, { maxTokens: 8 });
      const topK1 = await generate(model, PROMPT, { maxTokens: 8, temperature: 0.8, topK: 1, seed: 5 });
      expect(topK1.tokens).toEqual(greedy.tokens);
    });

    it('stops at a stop token and includes it', async () => {
      const free = await generate(model, PROMPT, { maxTokens: 8 });
      const stopAt = free.tokens[3]!;
      const first = free.tokens.indexOf(stopAt);
      const stopped = await generate(model, PROMPT, { maxTokens: 8, stopTokens: [stopAt] });
      expect(stopped.stopReason).toBe('stop-token');
      expect(stopped.tokens).toEqual(free.tokens.slice(0, first + 1));
    });

    it('streams each token and can be cancelled between tokens', async () => {
      const controller = new AbortController();
      const streamed: number[] = [];
      const result = await expectNoLeaks(() =>
        generate(model, PROMPT, {
          maxTokens: 50,
          signal: controller.signal,
          onToken: (id, i) => {
            streamed.push(id);
            if (i === 2) controller.abort();
          },
        }),
      );
      expect(result.stopReason).toBe('cancelled');
      expect(result.tokens).toEqual(streamed);
      expect(streamed).toHaveLength(3);
    });

    it('applies hooks on every decode step with absolute positions', async () => {
      const calls: { offset: number; length: number; step: number }[] = [];
      const name = hookName('resid_pre', 1);
      const steered = await generate(model, PROMPT, {
        maxTokens: 6,
        hooks: {
          [name]: (x, ctx) => {
            calls.push({ offset: ctx.offset, length: ctx.length, step: ctx.step });
            return tf.add(x, 3);
          },
        },
      });
      expect(calls.map((c) => c.offset)).toEqual([0, 4, 5, 6, 7, 8]);
      expect(calls.map((c) => c.step)).toEqual([0, 1, 2, 3, 4, 5]);
      const plain = await generate(model, PROMPT, { maxTokens: 6 });
      expect(steered.tokens).not.toEqual(plain.tokens);
    });
  });
}

describe('sampling', () => {
  beforeAll(() => useBackend('wasm'));

  function draw(logits: number[], opts: Parameters<typeof sampleTokens>[1], n: number): number[] {
    const counts = new Array(logits.length).fill(0);
    const random = seededRandom(99);
    const l = tf.tensor2d([logits]);
    for (let i = 0; i < n; i++) {
      const id = tf.tidy(() => sampleTokens(l, opts, [random()]).arraySync()[0]!);
      counts[id]++;
    }
    l.dispose();
    return counts.map((c) => c / n);
  }

  it('samples in proportion to softmax(logits / temperature)', () => {
    const p = [0.5, 0.3, 0.15, 0.05];
    const freq = draw(
      p.map((x) => Math.log(x)),
      { temperature: 1 },
      3000,
    );
    freq.forEach((f, i) => expect(Math.abs(f - p[i]!)).toBeLessThan(0.03));
  });

  it('keeps only the nucleus under top-p and only k tokens under top-k', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map((x) => Math.log(x));
    const nucleus = draw(logits, { temperature: 1, topP: 0.7 }, 1000);
    expect(nucleus[2]).toBe(0);
    expect(nucleus[3]).toBe(0);
    expect(Math.abs(nucleus[0]! - 0.5 / 0.8)).toBeLessThan(0.05);
    const top1of3 = draw(logits, { temperature: 1, topK: 3 }, 1000);
    expect(top1of3[3]).toBe(0);
    expect(top1of3[2]).toBeGreaterThan(0.1);
  });

  it("picks, in every row of a batch, the first token whose cumulative probability passes the row's uniform", () => {
    const [batch, vocab] = [3, 5000];
    const logits = tf.tidy(() =>
      tf.mul(tf.randomNormal([batch, vocab], 0, 1, 'float32', 7), 3),
    ) as tf.Tensor2D;
    const uniforms = [0.01, 0.5, 0.999];
    for (const opts of [
      { temperature: 0.7 },
      { temperature: 1, topK: 40 },
      { temperature: 1.3, topP: 0.9 },
    ]) {
      const got = tf.tidy(() => sampleTokens(logits, opts, uniforms).arraySync());
      // The same inverse CDF read off on the host, in the candidates' order.
      const want = tf.tidy(() => {
        const scaled = tf.div(logits, opts.temperature);
        const { values, indices } =
          'topK' in opts || 'topP' in opts
            ? tf.topk(scaled, opts.topK ?? vocab)
            : { values: scaled, indices: undefined };
        let probs = tf.softmax(values);
        if ('topP' in opts)
          probs = tf.mul(probs, tf.cast(tf.less(tf.sub(tf.cumsum(probs, 1), probs), opts.topP!), 'float32'));
        const cdf = tf.cumsum(probs, 1).arraySync() as number[][];
        const ids = indices?.arraySync() as number[][] | undefined;
        return cdf.map((row, b) => {
          const threshold = Math.fround(Math.fround(uniforms[b]!) * row.at(-1)!); // as float32 does it
          const pick = Math.min(row.filter((c) => c < threshold).length, row.length - 1);
          return ids ? ids[b]![pick]! : pick;
        });
      });
      expect(got).toEqual(want);
    }
    logits.dispose();
  });

  it('seeded generators repeat their sequence', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
