import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownHookError } from '../../../src/engine/errors';
import { disposeResult } from '../../../src/engine/forward';
import { allHookNames, hookName } from '../../../src/engine/hooks';
import { KvCache } from '../../../src/engine/kv-cache';
import type { Model } from '../../../src/engine/model';
import type { ModelSpec } from '../../../src/engine/spec';
import { NODE_BACKENDS, useBackend } from '../../support/backend';
import { hookShape } from '../../support/hook-shapes';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

const SPECS: Record<string, ModelSpec> = {
  gpt2: gpt2Spec(),
  'llama (GQA, half rotary)': llamaSpec(),
  'llama (interleaved rotary, tied)': llamaSpec({
    rotary: { theta: 500, dim: 4, layout: 'interleaved' },
    tiedEmbeddings: true,
  }),
  'qwen2-like (qkv bias, partial rotary)': llamaSpec({
    qkvBias: true,
    rotary: { theta: 1e4, dim: 2, layout: 'half' },
  }),
};

// 20 tokens: a prompt long enough that every kernel's row blocks and remainders run; decode steps run one row.
const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 3, 2, 38, 4, 6, 26, 43, 38, 32];

function logitsOf(model: Model, tokens: number[] | number[][]): number[][][] {
  const r = model.run(tokens);
  const out = r.logits!.arraySync();
  disposeResult(r);
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

for (const backend of NODE_BACKENDS) {
  for (const [label, spec] of Object.entries(SPECS)) {
    describe(`forward on ${label} (${backend})`, () => {
      let model: Model;
      beforeAll(async () => {
        await useBackend(backend);
        model = randomModel(spec, 7);
      });
      afterAll(() => model.dispose());

      it('is causal: changing a later token leaves earlier logits unchanged', () => {
        const a = logitsOf(model, PROMPT)[0]!;
        const b = logitsOf(model, [...PROMPT.slice(0, 5), 1, 2, 3, ...PROMPT.slice(8)])[0]!;
        for (let t = 0; t < 5; t++) expect(maxAbsDiff(a[t]!, b[t]!)).toBe(0);
        expect(maxAbsDiff(a[6]!, b[6]!)).toBeGreaterThan(1e-3);
      });

      it('decodes with the KV cache to the same logits as a full forward', async () => {
        const full = logitsOf(model, PROMPT)[0]!;
        await expectNoLeaks(() => {
          const kv = new KvCache(spec);
          const first = model.run(PROMPT.slice(0, 17), { kv, logits: 'last' });
          expect(maxAbsDiff(first.logits!.arraySync()[0]![0]!, full[16]!)).toBeLessThan(1e-5);
          disposeResult(first);
          for (let t = 17; t < PROMPT.length; t++) {
            const step = model.run([PROMPT[t]!], { kv, logits: 'last', step: t - 16 });
            expect(maxAbsDiff(step.logits!.arraySync()[0]![0]!, full[t]!)).toBeLessThan(1e-5);
            disposeResult(step);
          }
          expect(kv.length).toBe(PROMPT.length);
          kv.dispose();
        });
      });

      it('runs a left-padded batch to the same logits as each row alone', () => {
        const short = PROMPT.slice(0, 17);
        const padded = model.run([[0, 0, 0, ...short], PROMPT], { leftPad: [3, 0] });
        const got = padded.logits!.arraySync();
        disposeResult(padded);
        const alone = logitsOf(model, short)[0]!;
        const full = logitsOf(model, PROMPT)[0]!;
        for (let t = 0; t < 17; t++) expect(maxAbsDiff(got[0]![t + 3]!, alone[t]!)).toBeLessThan(1e-4);
        for (let t = 0; t < PROMPT.length; t++) expect(maxAbsDiff(got[1]![t]!, full[t]!)).toBeLessThan(1e-4);
      });

      it('caches every hook point with the shape HOOK_DIMS names', async () => {
        const names = allHookNames(spec);
        await expectNoLeaks(() => {
          const r = model.run(
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
            { cache: names },
          );
          expect([...r.cache.keys()]).toEqual(names);
          for (const [name, t] of r.cache) expect(t.shape, name).toEqual(hookShape(spec, name, 2, 3));
          disposeResult(r);
        });
      });

      it('gives per-head results that sum (with the bias) to the attention output', () => {
        const l = 1;
        const r = model.run(PROMPT, { cache: [`blocks.${l}.attn.hook_result`, hookName('attn_out', l)] });
        const perHead = r.cache.get(`blocks.${l}.attn.hook_result`)!;
        const bias = spec.outBias ? model.weights.get(`blocks.${l}.attn.b_O`) : tf.scalar(0);
        const summed = tf.add(tf.sum(perHead, 2), bias);
        const diff = tf
          .max(tf.abs(tf.sub(summed, r.cache.get(hookName('attn_out', l))!)))
          .arraySync() as number;
        expect(diff).toBeLessThan(1e-5);
        tf.dispose([summed, ...(spec.outBias ? [] : [bias])]);
        disposeResult(r);
      });

      it('lets a hook replace an activation, and an identity hook changes nothing', () => {
        const base = logitsOf(model, PROMPT)[0]!;
        const same = model.run(PROMPT, {
          hooks: { [hookName('resid_mid', 0)]: (x: tf.Tensor) => tf.add(x, 0) },
        });
        expect(maxAbsDiff(same.logits!.arraySync()[0]![19]!, base[19]!)).toBe(0);
        disposeResult(same);
        const zeroed = model.run(PROMPT, {
          hooks: { [hookName('attn_out', 0)]: (x: tf.Tensor) => tf.zerosLike(x) },
          cache: [hookName('attn_out', 0)],
        });
        expect(tf.max(tf.abs(zeroed.cache.get(hookName('attn_out', 0))!)).arraySync()).toBe(0);
        expect(maxAbsDiff(zeroed.logits!.arraySync()[0]![19]!, base[19]!)).toBeGreaterThan(1e-3);
        disposeResult(zeroed);
      });

      it('reports absolute positions to hooks on every decode step', () => {
        const seen: [number, number, number][] = [];
        const hooks = {
          [hookName('resid_pre', 0)]: (
            _x: tf.Tensor,
            ctx: { offset: number; length: number; step: number },
          ) => {
            seen.push([ctx.offset, ctx.length, ctx.step]);
          },
        };
        const kv = new KvCache(spec);
        disposeResult(model.run([1, 2, 3], { kv, hooks }));
        disposeResult(model.run([4], { kv, hooks, step: 1 }));
        kv.dispose();
        expect(seen).toEqual([
          [0, 3, 0],
          [3, 1, 1],
        ]);
      });
    });
  }
}

describe('hook names', () => {
  it('rejects an unknown hook name and suggests the nearest ones', async () => {
    await useBackend('wasm');
    const model = randomModel(gpt2Spec(), 1);
    expect(() => model.run([1, 2], { cache: ['blocks.0.hook_resid_pr' as never] })).toThrow(UnknownHookError);
    expect(() => model.run([1, 2], { cache: ['blocks.0.hook_resid_pr' as never] })).toThrow(
      /Did you mean "blocks\.0\.hook_resid_pre"/,
    );
    model.dispose();
  });

  it('builds names from short points with the right literal type', () => {
    const name = hookName('resid_post', 3);
    expect(name).toBe('blocks.3.hook_resid_post');
  });
});
