/**
 * Function vectors (METHODS.md §13; Todd et al., ericwtodd/function_vectors): a few attention
 * heads carry "which task the demonstrations show" to the last token; the sum of their mean
 * outputs, added to a zero-shot prompt, makes the task happen.
 *
 *   ā[l,h] = mean of z[l,h] at the last token over few-shot prompts of the task;
 *   AIE[l,h] = mean over corrupted prompts of P(answer | z[l,h] at the last token ← ā[l,h])
 *              − P(answer): the demonstrations' labels permuted (Todd et al.), so the task should
 *              not show, or (an option) no demonstrations at all;
 *   FV = Σ over the top heads by AIE of ā[l,h]·W_O[h];
 *   applied as resid_post[layer ≈ L/3][last prompt token] += FV (the prompt pass only).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CancelledError,
  type HookName,
  type Hooks,
  hookName,
  type Model,
  RudderError,
  yieldToEventLoop,
} from '../engine';
import { collectActivations } from './activations';
import { readAll } from './batching';
import type { FewShotFormat } from './eval/organism-data';
import type { HeadRef } from './heads';
import { applyRange, positionRange } from './positions';

/** One few-shot item: demonstrations, a query and its answer. */
export interface IclItem {
  readonly shots: readonly (readonly [string, string])[];
  readonly query: string;
  readonly answer: string;
}

/** The organisms' icl_tasks.json format. */
export const ICL_FORMAT: FewShotFormat = {
  pair: '{input} -> {output}',
  separator: ', ',
  query: '{input} ->',
  answer_prefix: ' ',
};

/** The prompt text of demonstrations and a query (no demonstrations: the zero-shot prompt). */
export function iclPrompt(
  shots: IclItem['shots'],
  query: string,
  format: FewShotFormat = ICL_FORMAT,
): string {
  const fill = (t: string, input: string, output = '') =>
    t.replaceAll('{input}', input).replaceAll('{output}', output);
  return [...shots.map(([i, o]) => fill(format.pair, i, o)), fill(format.query, query)].join(
    format.separator,
  );
}

/** The demonstrations with their outputs rotated by one: every input paired with another's label. */
export function shuffledShots(shots: IclItem['shots']): (readonly [string, string])[] {
  return shots.map(([input], i) => [input, shots[(i + 1) % shots.length]![1]] as const);
}

/** Each head's mean z at the last token over the prompts: per layer Float32Array [heads × d_head]. */
export async function meanHeadOutputs(
  model: Model,
  prompts: readonly (readonly number[])[],
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const names: HookName[] = Array.from({ length: model.spec.nLayers }, (_, l) => hookName('z', l));
  const acts = await collectActivations(model, prompts, names, { kind: 'last' }, signal ? { signal } : {});
  return names.map((n) => {
    const rows = acts.get(n)!;
    const mean = new Float32Array(rows[0]!.length);
    for (const r of rows) for (let i = 0; i < r.length; i++) mean[i]! += r[i]! / rows.length;
    return mean;
  });
}

/**
 * AIE[l,h], row-major [layers, heads]: for each prompt, one batch of 1 + L·H copies, row 0
 * unpatched and row 1 + l·H + h with head (l,h) at the last token set to ā[l,h]; the effect is the
 * change in the probability of the prompt's answer token.
 */
export async function headIndirectEffects(
  model: Model,
  prompts: readonly (readonly number[])[],
  answers: readonly number[],
  means: readonly Float32Array[],
  /** Told after each prompt (it may throw to stop: a cancelled job). */
  onPrompt?: (done: number) => void,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const { nLayers: L, nHeads: H, dHead: D } = model.spec;
  const B = 1 + L * H;
  const total = new Float32Array(L * H);
  for (let p = 0; p < prompts.length; p++) {
    await stopPoint(signal);
    const tokens = prompts[p]!;
    const T = tokens.length;
    const hooks: Hooks = {};
    for (let l = 0; l < L; l++) {
      const mask = new Float32Array(B * H);
      for (let h = 0; h < H; h++) mask[(1 + l * H + h) * H + h] = 1;
      hooks[hookName('z', l)] = (z) =>
        applyRange(z, [T - 1, T], (last) =>
          tf.add(
            last,
            tf.mul(tf.tensor4d(mask, [B, 1, H, 1]), tf.sub(tf.tensor4d(means[l]!, [1, 1, H, D]), last)),
          ),
        );
    }
    const r = model.run(
      Array.from({ length: B }, () => tokens),
      { hooks, logits: 'last' },
    );
    const probs = tf.tidy(() => {
      const logp = tf.logSoftmax(tf.reshape(r.logits!, [B, -1]));
      r.logits!.dispose();
      return tf.exp(tf.reshape(tf.slice(logp, [0, answers[p]!], [B, 1]), [B]));
    });
    const [pr] = await readAll([probs]);
    for (let i = 0; i < L * H; i++) total[i]! += (pr![1 + i]! - pr![0]!) / prompts.length;
    onPrompt?.(p + 1);
  }
  return total;
}

/**
 * With a signal: lets the event loop run (a worker reads its Stop message only then; the wasm
 * backend's reads never yield) and throws CancelledError once the signal is aborted.
 */
export async function stopPoint(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await yieldToEventLoop();
  if (signal.aborted) throw new CancelledError();
}

/** FV = Σ over heads of ā[l,h]·W_O[h] (each head's mean contribution to the residual), [d_model]. */
export async function functionVector(
  model: Model,
  means: readonly Float32Array[],
  heads: readonly HeadRef[],
): Promise<Float32Array> {
  const { dHead: D, dModel: d } = model.spec;
  const fv = tf.tidy(() => {
    let sum: tf.Tensor = tf.zeros([1, d]);
    for (const { layer, head } of heads) {
      const W_O = tf.slice(model.weights.dense(`blocks.${layer}.attn.W_O`), [head * D, 0], [D, d]);
      const z = tf.tensor2d(means[layer]!.subarray(head * D, (head + 1) * D), [1, D]);
      sum = tf.add(sum, tf.matMul(z, W_O));
    }
    return tf.reshape(sum, [d]);
  });
  const [out] = await readAll([fv]);
  return out as Float32Array;
}

/**
 * resid_post[layer] += scale·FV at the prompt's last token, on the prompt pass only: the
 * experiment's add intervention with `positions: { kind: 'prompt-last' }` does the same.
 */
export function functionVectorHooks(fv: Float32Array, layer: number, scale = 1): Hooks {
  return {
    [hookName('resid_post', layer)]: (x, ctx) => {
      const range = positionRange({ kind: 'prompt-last' }, ctx);
      if (!range || scale === 0) return undefined;
      return applyRange(x, range, (last) => tf.add(last, tf.mul(tf.tensor1d(fv), scale)));
    },
  };
}

/** Heads summed by default: an eighth of all heads, at least one. */
export function defaultTopHeads(spec: { readonly nLayers: number; readonly nHeads: number }): number {
  return Math.max(1, Math.ceil((spec.nLayers * spec.nHeads) / 8));
}

/** The layer the FV is added at by default: a third of the way up. */
export function defaultFunctionVectorLayer(spec: { readonly nLayers: number }): number {
  return Math.round(spec.nLayers / 3);
}

export interface FunctionVectorOptions {
  /**
   * The prompts ā is patched into: Todd et al.'s shuffled labels (default), or the bare zero-shot
   * query, for models whose shuffled demonstrations still show the task (the organisms' labels
   * alone tell antonyms from comparatives, so shuffling them leaves P(answer) where it was).
   */
  readonly corruption?: 'shuffled' | 'zero-shot';
  /** Heads summed into the FV. Default: an eighth of all heads (at least 1). */
  readonly topHeads?: number;
  /** Where the FV is added. Default round(L/3). */
  readonly layer?: number;
  /**
   * Told as the construction goes: the mean head outputs, then each corrupted prompt's patching
   * batch. It may throw to stop (a cancelled job).
   */
  readonly onProgress?: (stage: 'means' | 'effects', done: number, total: number) => void;
  /** Stops the construction between batches (see stopPoint). */
  readonly signal?: AbortSignal;
}

export interface FunctionVectorResult {
  readonly layer: number;
  /** AIE[l,h], row-major [layers, heads]. */
  readonly aie: Float32Array;
  /** The heads summed, highest AIE first. */
  readonly heads: readonly (HeadRef & { readonly aie: number })[];
  readonly fv: Float32Array;
}

/** The whole construction from a task's few-shot items (text prompts through the model's tokenizer). */
export async function buildFunctionVector(
  model: Model,
  items: readonly IclItem[],
  format: FewShotFormat = ICL_FORMAT,
  opts: FunctionVectorOptions = {},
): Promise<FunctionVectorResult> {
  const tok = model.tokenizer;
  if (!tok)
    throw new RudderError('no-tokenizer', `${model.id} has no tokenizer.json; function vectors need text.`);
  if (items.length === 0)
    throw new RudderError('empty-input', 'Function vectors need at least one few-shot item.');
  const { nLayers: L, nHeads: H } = model.spec;
  const encode = (text: string) => tok.encode(text, { addSpecialTokens: false });
  const fewShot = items.map((it) => encode(iclPrompt(it.shots, it.query, format)));
  const corrupted = items.map((it) =>
    encode(iclPrompt(opts.corruption === 'zero-shot' ? [] : shuffledShots(it.shots), it.query, format)),
  );
  const answers = items.map((it) => encode(`${format.answer_prefix}${it.answer}`)[0]!);
  const layer = opts.layer ?? defaultFunctionVectorLayer(model.spec);
  if (!Number.isInteger(layer) || layer < 0 || layer >= L)
    throw new RudderError('bad-layer', `Layer ${layer} does not exist (the model has 0..${L - 1}).`);
  opts.onProgress?.('means', 0, 1);
  const means = await meanHeadOutputs(model, fewShot, opts.signal);
  opts.onProgress?.('effects', 0, corrupted.length);
  const aie = await headIndirectEffects(
    model,
    corrupted,
    answers,
    means,
    (done) => opts.onProgress?.('effects', done, corrupted.length),
    opts.signal,
  );
  const k = Math.max(1, Math.min(L * H, opts.topHeads ?? defaultTopHeads(model.spec)));
  const heads = [...aie]
    .map((v, i) => ({ layer: Math.floor(i / H), head: i % H, aie: v }))
    .sort((a, b) => b.aie - a.aie)
    .slice(0, k);
  return { layer, aie, heads, fv: await functionVector(model, means, heads) };
}
