/**
 * The forward pass: tokens → logits, with every hook point reachable. Reads like the model:
 * embed → blocks → final norm → unembed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { block, type HookPoint, norm } from './block';
import { HookShapeError, RudderError } from './errors';
import { assertHookNames, type HookContext, type HookFn, type HookName, type Hooks } from './hooks';
import { ensureKernels } from './kernels';
import { gatherColumns, matMul, softcap } from './kernels/ops';
import { KvCache } from './kv-cache';
import { type RotaryTables, rotaryAngles } from './rotary';
import type { ModelSpec } from './spec';
import type { DeviceWeights } from './weights-device';

export interface RunOptions {
  /** Functions that read or replace activations, by hook name. */
  readonly hooks?: Hooks;
  /** Hook names whose activations (after any hooks) are returned. */
  readonly cache?: Iterable<HookName>;
  /** Keys/values of earlier positions; updated in place with this call's tokens. */
  readonly kv?: KvCache;
  /** Which positions to unembed: all (lens, scoring), the last (generation) or none. */
  readonly logits?: 'all' | 'last' | 'none';
  /** Decode step reported to hooks (0 = prompt pass). */
  readonly step?: number;
  /** Left padding per row, for a batch of prompts of different lengths (ignored with `kv`). */
  readonly leftPad?: readonly number[];
}

export interface RunResult {
  /** [batch, pos | 1, vocab]; undefined when `logits: 'none'`. The caller disposes it. */
  readonly logits: tf.Tensor3D | undefined;
  /** Cached activations by hook name. The caller disposes them (see `disposeResult`). */
  readonly cache: Map<HookName, tf.Tensor>;
}

/** What the forward pass needs of a loaded model. */
export interface ForwardModel {
  readonly spec: ModelSpec;
  readonly weights: DeviceWeights;
  readonly rotary: RotaryTables | undefined;
}

/** Large enough to zero a softmax weight, small enough never to make NaN from a fully masked row. */
const MASKED = -1e9;

export function run(
  model: ForwardModel,
  tokens: readonly (readonly number[])[],
  opts: RunOptions = {},
): RunResult {
  const { spec, weights: w } = model;
  const batch = tokens.length;
  const pos = tokens[0]?.length ?? 0;
  if (batch === 0 || pos === 0) throw new RudderError('empty-input', 'run() needs at least one token.');
  if (tokens.some((row) => row.length !== pos))
    throw new RudderError('ragged-batch', 'All rows of a batch must have the same length (left-pad them).');
  const hooks = opts.hooks ?? {};
  const cacheNames = new Set(opts.cache ?? []);
  assertHookNames(spec, [...Object.keys(hooks), ...cacheNames]);
  const kv = opts.kv ?? new KvCache(spec, opts.leftPad);
  const offset = kv.length;
  if (offset + pos > spec.nCtx)
    throw new RudderError(
      'context-full',
      `The model's context holds ${spec.nCtx} tokens; this run needs ${offset + pos}. Shorten the prompt or the generation.`,
    );
  for (const row of tokens)
    for (const id of row)
      if (!Number.isInteger(id) || id < 0 || id >= spec.vocabSize)
        throw new RudderError(
          'bad-token',
          `Token id ${id} is outside the vocabulary (0..${spec.vocabSize - 1}).`,
        );

  ensureKernels();
  const cache = new Map<HookName, tf.Tensor>();
  const step = opts.step ?? 0;
  const hp: HookPoint = (name, x) => {
    const fns = hooks[name];
    if (fns) {
      const ctx: HookContext = { name, layer: layerOf(name), offset, length: pos, step };
      for (const fn of (Array.isArray(fns) ? fns : [fns]) as HookFn[]) {
        const y = fn(x, ctx);
        if (y && y !== x) {
          if (!sameShape(y.shape, x.shape)) throw new HookShapeError(name, x.shape, y.shape);
          x = y as typeof x;
        }
      }
    }
    if (cacheNames.has(name)) cache.set(name, tf.keep(x.clone()));
    return x;
  };

  try {
    const logits = tf.tidy(() => {
      const leftPad = kv.leftPad.some((p) => p > 0) ? kv.leftPad : undefined;
      const positions = positionIds(offset, pos, leftPad);
      const ids = tf.tensor2d(tokens.flat(), [batch, pos], 'int32');
      const embedded = w.embedFromUnembed
        ? tf.reshape(gatherColumns(w.matrix('unembed.W_U'), tf.reshape(ids, [-1])), [batch, pos, spec.dModel])
        : tf.gather(w.get('embed.W_E'), ids);
      // Gemma scales token embeddings by √d_model (gathered from the unscaled, tied W_U).
      const scaled = spec.embedScale ? tf.mul(embedded, spec.embedScale) : embedded;
      let resid = hp('hook_embed', scaled as tf.Tensor3D); // [b, p, d]
      if (spec.pos === 'learned') {
        const pe = tf.gather(w.get('pos_embed.W_pos'), positions); // [p, d] or [b, p, d]
        // Rows share the positions unless left padding shifts them; one row needs a reshape, not a
        // Tile (which copies, even once).
        const shared = () => tf.reshape(pe, [1, pos, spec.dModel]);
        const perRow = positions.rank === 2 ? pe : batch === 1 ? shared() : tf.tile(shared(), [batch, 1, 1]);
        resid = tf.add(resid, hp('hook_pos_embed', perRow as tf.Tensor3D));
      }
      const mask = attentionMask(offset, pos, leftPad);
      const window = spec.slidingWindow?.size;
      const localMask = window === undefined ? undefined : attentionMask(offset, pos, leftPad, window);
      const rotary = model.rotary && rotaryAngles(model.rotary, positions);
      const wanted = new Set<string>([...cacheNames, ...Object.keys(hooks)]);
      for (let l = 0; l < spec.nLayers; l++) {
        const out = block(resid, {
          spec,
          w,
          layer: l,
          hp,
          wanted,
          rotary,
          mask,
          localMask,
          past: kv.layers[l],
        });
        resid = out.resid;
        const old = kv.layers[l];
        kv.layers[l] = { k: tf.keep(out.kv.k), v: tf.keep(out.kv.v) };
        old?.k.dispose();
        old?.v.dispose();
      }
      const final = hp('ln_final.hook_normalized', norm(resid, { spec, w, hp, wanted }, 'ln_final')); // [b, p, d]
      const mode = opts.logits ?? 'all';
      if (mode === 'none') return undefined;
      const x = mode === 'last' ? tf.slice(final, [0, pos - 1, 0], [-1, 1, -1]) : final;
      const rows = x.shape[1];
      const logits = matMul(tf.reshape(x, [batch * rows, spec.dModel]), w.matrix('unembed.W_U'), undefined);
      const capped = spec.finalSoftcap ? softcap(logits, spec.finalSoftcap) : logits;
      return tf.reshape(capped, [batch, rows, spec.vocabSize]) as tf.Tensor3D;
    });
    kv.length = offset + pos;
    return { logits, cache };
  } catch (e) {
    for (const t of cache.values()) t.dispose();
    throw e;
  } finally {
    if (!opts.kv) kv.dispose();
  }
}

/** Disposes the logits and every cached activation of a result. */
export function disposeResult(result: RunResult): void {
  result.logits?.dispose();
  for (const t of result.cache.values()) t.dispose();
}

function layerOf(name: HookName): number | undefined {
  return name.startsWith('blocks.') ? Number(name.split('.', 2)[1]) : undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** [pos] absolute positions, or [batch, pos] counting from each row's first real token. */
function positionIds(offset: number, pos: number, leftPad: readonly number[] | undefined): tf.Tensor {
  if (!leftPad) return tf.range(offset, offset + pos, 1, 'int32');
  const ids = new Int32Array(leftPad.length * pos);
  leftPad.forEach((pad, b) => {
    for (let t = 0; t < pos; t++) ids[b * pos + t] = Math.max(0, offset + t - pad);
  });
  return tf.tensor2d(ids, [leftPad.length, pos], 'int32');
}

/**
 * Additive mask [1 | batch, 1, pos, offset + pos]: causal (a query sees keys up to its own
 * position), for padded batches hiding pad keys, and with a `window` hiding keys that many
 * positions or more behind the query (HF's sliding window: q − k < window stays visible).
 * Undefined when every query sees every key.
 */
function attentionMask(
  offset: number,
  pos: number,
  leftPad: readonly number[] | undefined,
  window?: number,
): tf.Tensor | undefined {
  const keys = offset + pos;
  const windowBites = window !== undefined && keys > window;
  if (pos === 1 && !leftPad && !windowBites) return undefined;
  const rows = leftPad?.length ?? 1;
  const m = new Float32Array(rows * pos * keys);
  for (let b = 0; b < rows; b++) {
    const pad = leftPad?.[b] ?? 0;
    for (let i = 0; i < pos; i++) {
      const q = offset + i;
      for (let j = 0; j < keys; j++) {
        const hidden = j > q || j < pad || (window !== undefined && q - j >= window);
        if (hidden) m[(b * pos + i) * keys + j] = MASKED;
      }
    }
  }
  return tf.tensor4d(m, [rows, 1, pos, keys]);
}
