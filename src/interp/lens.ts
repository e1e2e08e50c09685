/**
 * Logit lens (METHODS.md §12): every layer's residual read through the final norm and the
 * unembedding, at every position. One forward pass caches the residuals; the lens logits are
 * computed in chunks of layers and reduced on the device (top-k, entropy, KL, tracked tokens), so
 * only a few numbers per layer and position are read back, never a vocabulary-wide row.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type HookName, type Hooks, lensStats, type Model, RudderError } from '../engine';
import { readAll } from './batching';
import { assertTokens, finalNorm, unembed } from './readout';
import type { TunedLens } from './tuned-lens';

export interface LensOptions {
  /** Tokens listed per layer and position. Default 10. */
  readonly k?: number;
  /** Token ids whose probability and rank are reported at every layer and position. */
  readonly track?: readonly number[];
  /** Also read each block's `resid_mid` (after attention, before the MLP). */
  readonly includeMid?: boolean;
  /** Interventions active during the pass (the lens of a steered run). */
  readonly hooks?: Hooks;
  /** Read the residuals through trained translators (rows without one use the logit lens). */
  readonly tuned?: TunedLens;
  /** Most logits held on the device at once (rows × positions × vocab). Default 2^23. */
  readonly chunkElements?: number;
}

/** One lens row: a residual-stream point. */
export interface LensRow {
  readonly hook: HookName;
  /** 'embed', 'mid 3', 'post 3'. */
  readonly label: string;
  readonly layer: number;
  readonly point: 'embed' | 'resid_mid' | 'resid_post';
}

/** Arrays are row-major over [rows, positions, …]; the last row is the model's own distribution. */
export interface LensResult {
  readonly rows: readonly LensRow[];
  readonly positions: number;
  readonly k: number;
  /** [rows, positions, k], most likely first. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
  /** [rows, positions], in nats. */
  readonly entropy: Float32Array;
  /** KL(final ‖ lens) [rows, positions], in nats: 0 on the last row. */
  readonly kl: Float32Array;
  readonly tracked: readonly number[];
  /** [rows, positions, tracked]. */
  readonly trackedProbs: Float32Array;
  /** [rows, positions, tracked]: how many tokens are more likely (0 = the top token). */
  readonly trackedRanks: Int32Array;
}

export function lensRows(model: Model, includeMid = false): LensRow[] {
  const rows: LensRow[] = [{ hook: 'blocks.0.hook_resid_pre', label: 'embed', layer: 0, point: 'embed' }];
  for (let l = 0; l < model.spec.nLayers; l++) {
    if (includeMid)
      rows.push({ hook: `blocks.${l}.hook_resid_mid`, label: `mid ${l}`, layer: l, point: 'resid_mid' });
    rows.push({ hook: `blocks.${l}.hook_resid_post`, label: `post ${l}`, layer: l, point: 'resid_post' });
  }
  return rows;
}

/** Which `resid_pre` index a row is (the tuned lens's translators are indexed by it), if any. */
export function residPreIndex(row: LensRow, nLayers: number): number | undefined {
  if (row.point === 'embed') return 0;
  if (row.point === 'resid_post' && row.layer < nLayers - 1) return row.layer + 1;
  return undefined;
}

/** The lens of one prompt, at every layer and position. */
export async function logitLens(
  model: Model,
  tokens: readonly number[],
  opts: LensOptions = {},
): Promise<LensResult> {
  const k = Math.min(opts.k ?? 10, model.spec.vocabSize);
  const track = opts.track ?? [];
  assertTokens(model, track);
  const rows = lensRows(model, opts.includeMid);
  const positions = tokens.length;
  const vocab = model.spec.vocabSize;
  const run = model.run(tokens, {
    hooks: opts.hooks,
    cache: rows.map((r) => r.hook),
    logits: 'none',
  });
  const chunkRows = Math.max(1, Math.floor((opts.chunkElements ?? 2 ** 23) / (positions * vocab)));
  let out: tf.Tensor[];
  try {
    out = tf.tidy(() => {
      // [rows, pos, d]
      const resid = tf.concat(rows.map((r) => run.cache.get(r.hook)!));
      const final = lensLogits(model, tf.slice(resid, [rows.length - 1, 0, 0], [1, -1, -1])); // [pos, vocab]
      // The normaliser as `reduce` computes each lens row's, so that KL is exactly 0 where they match.
      const target = {
        logits: final,
        lse: tf.reshape(logNormaliser(lensStats(final, final, final)), [-1]),
        p: tf.softmax(final),
      };
      const parts: tf.Tensor[][] = [];
      for (let r0 = 0; r0 < rows.length; r0 += chunkRows) {
        const n = Math.min(chunkRows, rows.length - r0);
        parts.push(
          tf.tidy(() => {
            let h = tf.slice(resid, [r0, 0, 0], [n, -1, -1]);
            if (opts.tuned) h = translateRows(opts.tuned, h, rows.slice(r0, r0 + n), model.spec.nLayers);
            return reduce(lensLogits(model, h), target, k, track);
          }),
        );
      }
      return parts[0]!.map((_, i) => tf.concat(parts.map((p) => p[i]!)));
    });
  } finally {
    disposeResult(run);
  }
  const [topIds, topProbs, entropy, kl, trackedProbs, trackedRanks] = await readAll(out);
  return {
    rows,
    positions,
    k,
    topIds: topIds as Int32Array,
    topProbs: topProbs as Float32Array,
    entropy: entropy as Float32Array,
    kl: kl as Float32Array,
    tracked: [...track],
    trackedProbs: trackedProbs as Float32Array,
    trackedRanks: trackedRanks as Int32Array,
  };
}

/** h [n, pos, d] → logits [n·pos, vocab]. */
function lensLogits(model: Model, h: tf.Tensor): tf.Tensor2D {
  const [n, pos, d] = h.shape as [number, number, number];
  return unembed(model, tf.reshape(finalNorm(model, h), [n * pos, d]));
}

function translateRows(tuned: TunedLens, h: tf.Tensor, rows: readonly LensRow[], nLayers: number): tf.Tensor {
  const slices = tf.unstack(h);
  return tf.stack(
    slices.map((x, i) => {
      const index = residPreIndex(rows[i]!, nLayers);
      return index === undefined ? x : tuned.translate(index, x);
    }),
  );
}

/** log Σ exp(x) of each row from its `lensStats` (m + log z) → [rows, 1]. */
function logNormaliser(stats: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.slice(stats, [0, 0], [-1, 1]), tf.log(tf.slice(stats, [0, 1], [-1, 1])));
}

/** The model's own distribution at each position: logits [pos, vocab], log-normaliser [pos], probabilities. */
interface FinalDistribution {
  readonly logits: tf.Tensor2D;
  readonly lse: tf.Tensor;
  readonly p: tf.Tensor2D;
}

/**
 * logits [n·pos, vocab] → [topIds, topProbs, entropy, kl, trackedProbs, trackedRanks], each with
 * leading dims [n, pos]. The passes over the vocabulary are one (`lensStats`: on WebAssembly one
 * native pass, where tfjs's exp alone took 16% of SmolLM2's lens), the top k and the tracked ranks:
 * H = lse − Σ p·x, and with x_f the final logits, KL(f ‖ lens) = Σ f·(x_f − x) − (lse_f − lse),
 * which is exactly 0 where x = x_f.
 */
function reduce(
  logits: tf.Tensor2D,
  final: FinalDistribution,
  k: number,
  track: readonly number[],
): tf.Tensor[] {
  const rows = logits.shape[0];
  const pos = final.logits.shape[0]!;
  const n = rows / pos;
  const stats = lensStats(logits, final.logits, final.p);
  const [, z, s, gap] = tf.split(stats, 4, 1);
  const lse = logNormaliser(stats); // [n·pos, 1]
  const entropy = tf.reshape(tf.sub(lse, tf.div(s!, z!)), [-1]);
  const top = tf.topk(logits, k);
  const topProbs = tf.exp(tf.sub(top.values, lse));
  // Float noise can leave a hair below 0 where the lens nearly equals the model; KL never is.
  const kl = tf.relu(tf.sub(tf.reshape(gap!, [n, pos]), tf.sub(final.lse, tf.reshape(lse, [n, pos]))));
  let trackedProbs: tf.Tensor = tf.zeros([rows, 0]);
  let trackedRanks: tf.Tensor = tf.zeros([rows, 0], 'int32');
  if (track.length) {
    const tl = tf.gather(logits, tf.tensor1d(Int32Array.from(track), 'int32'), 1); // [n·pos, T]
    trackedProbs = tf.exp(tf.sub(tl, lse));
    // step(x − t) counts tokens strictly above t; tfjs-wasm's broadcasting `greater` is ~80x slower.
    const ranks = track.map((_, t) => tf.sum(tf.step(tf.sub(logits, tf.slice(tl, [0, t], [-1, 1]))), 1));
    trackedRanks = tf.cast(tf.stack(ranks, 1), 'int32');
  }
  const shape = (x: tf.Tensor, last?: number) =>
    tf.reshape(x, last === undefined ? [n, pos] : [n, pos, last]);
  return [
    shape(top.indices, k),
    shape(topProbs, k),
    shape(entropy),
    kl,
    shape(trackedProbs, track.length),
    shape(trackedRanks, track.length),
  ];
}

export interface VectorLensResult {
  /** Tokens whose logits the direction raises most, with the logit change per unit of the vector. */
  readonly promoted: { readonly ids: Int32Array; readonly logits: Float32Array };
  /** Tokens it lowers most (most negative first). */
  readonly suppressed: { readonly ids: Int32Array; readonly logits: Float32Array };
}

/**
 * The lens of a direction in the residual stream (a steering vector, a refusal direction): pushed
 * through the final norm's gain (centred first for LayerNorm; the norm's scale is dropped, as for
 * any direction) and the unembedding.
 */
export async function vectorLens(
  model: Model,
  vector: Float32Array,
  opts: { readonly k?: number } = {},
): Promise<VectorLensResult> {
  const d = model.spec.dModel;
  if (vector.length !== d)
    throw new RudderError(
      'bad-vector',
      `The vector has ${vector.length} values; this model's residual has ${d}.`,
    );
  const k = Math.min(opts.k ?? 10, model.spec.vocabSize);
  const out = tf.tidy(() => {
    let v: tf.Tensor = tf.tensor2d(vector, [1, d]);
    if (model.spec.norm === 'layer') v = tf.sub(v, tf.mean(v));
    const logits = tf.squeeze(unembed(model, tf.mul(v, model.weights.get('ln_final.w')) as tf.Tensor2D));
    const up = tf.topk(logits, k);
    const down = tf.topk(tf.neg(logits), k);
    return [up.indices, up.values, down.indices, tf.neg(down.values)];
  });
  const [upIds, upLogits, downIds, downLogits] = await readAll(out);
  return {
    promoted: { ids: upIds as Int32Array, logits: upLogits as Float32Array },
    suppressed: { ids: downIds as Int32Array, logits: downLogits as Float32Array },
  };
}
