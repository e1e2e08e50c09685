/**
 * Direct logit attribution (METHODS.md §9): how much each head and each MLP writes, directly, into
 * a logit difference at one position. The final norm is linearised with the run's own scale σ:
 * logit diff = Σ components · u / σ + c, with u the read-out vector (readout.ts). Head h's part is
 * z[l,h] · (W_O[h] u) / σ, so per-head results are never materialised; every projection happens
 * inside hooks on the device, and a few numbers per prompt are read back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Hooks, Model } from '../engine';
import { gatherPositions, leftPadBatch, mergeHooks, positionIndices, readAll } from './batching';
import {
  finalNormScale,
  type LogitDirection,
  readoutConstant,
  readoutVector,
  unembedDirection,
} from './readout';

export interface DlaOptions {
  /** Position read in each prompt: from the start (≥ 0) or the end (< 0). Default −1. */
  readonly position?: number;
  /** Interventions active during the run (e.g. head gates); their effect shows in the heads they change. */
  readonly hooks?: Hooks;
  /** Prompts per forward pass. Default 16. */
  readonly batchSize?: number;
}

/** Means over the prompts, in logits. heads + mlps + remainder = logitDiff. */
export interface DlaResult {
  readonly nLayers: number;
  readonly nHeads: number;
  readonly prompts: number;
  /** [layers × heads]. */
  readonly heads: Float32Array;
  /** [layers]. */
  readonly mlps: Float32Array;
  /** Token and position embeddings. */
  readonly embed: number;
  /** Attention output biases and the final norm's bias. */
  readonly biases: number;
  /** What no component accounts for: hook interventions that add to the residual (≈ 0 without). */
  readonly other: number;
  /** embed + biases + other. */
  readonly remainder: number;
  /** The model's own logit difference. */
  readonly logitDiff: number;
  /** Per prompt: heads [prompts × layers × heads] and the logit difference [prompts]. */
  readonly perPrompt: { readonly heads: Float32Array; readonly logitDiff: Float32Array };
}

export async function directLogitAttribution(
  model: Model,
  prompts: readonly (readonly number[])[],
  direction: LogitDirection,
  opts: DlaOptions = {},
): Promise<DlaResult> {
  const { nLayers: L, nHeads: H, dHead: D } = model.spec;
  const n = prompts.length;
  const batchSize = opts.batchSize ?? 16;
  const heads = new Float32Array(n * L * H);
  const mlps = new Float32Array(n * L);
  const embed = new Float32Array(n);
  const biases = new Float32Array(n);
  const logitDiff = new Float32Array(n);
  const k = tf.tidy(() => {
    const d = unembedDirection(model, direction);
    const u = readoutVector(model, d);
    // Per layer, W_O[h]·u for every head: [H, D].
    const headReadout = Array.from({ length: L }, (_, l) =>
      tf.reshape(tf.matMul(model.weights.dense(`blocks.${l}.attn.W_O`), tf.reshape(u, [-1, 1])), [H, D]),
    );
    let bias: tf.Tensor = tf.scalar(0);
    for (let l = 0; l < L; l++) {
      const b = model.weights.maybe(`blocks.${l}.attn.b_O`);
      if (b) bias = tf.add(bias, tf.sum(tf.mul(b, u)));
    }
    return { d, u, headReadout, bias, constant: readoutConstant(model, d) };
  });
  try {
    for (let start = 0; start < n; start += batchSize) {
      const pad = leftPadBatch(prompts.slice(start, start + batchSize));
      const idx = positionIndices(pad, opts.position ?? -1);
      const got: Record<string, tf.Tensor> = {};
      const keep = (key: string, t: tf.Tensor) => {
        got[key] = tf.keep(t);
      };
      const at = (x: tf.Tensor) => gatherPositions(x, idx);
      const mine: Hooks = {
        'blocks.0.hook_resid_pre': (x) =>
          keep('embed', tf.matMul(at(x) as tf.Tensor2D, tf.reshape(k.u, [-1, 1]))),
        [`blocks.${L - 1}.hook_resid_post`]: (x: tf.Tensor) => keep('scale', finalNormScale(model, at(x))),
        'ln_final.hook_normalized': (x) =>
          keep('diff', tf.matMul(at(x) as tf.Tensor2D, tf.reshape(k.d, [-1, 1]))),
      };
      for (let l = 0; l < L; l++) {
        mine[`blocks.${l}.attn.hook_z`] = (z) => keep(`z${l}`, tf.sum(tf.mul(at(z), k.headReadout[l]!), -1));
        mine[`blocks.${l}.hook_mlp_out`] = (x) =>
          keep(`mlp${l}`, tf.matMul(at(x) as tf.Tensor2D, tf.reshape(k.u, [-1, 1])));
      }
      try {
        model.run(pad.rows, { hooks: mergeHooks(opts.hooks, mine), logits: 'none', leftPad: pad.leftPad });
        const out = tf.tidy(() => {
          const sigma = got.scale!; // [b, 1]
          const h = tf.div(
            tf.stack(
              Array.from({ length: L }, (_, l) => got[`z${l}`]!),
              1,
            ),
            tf.expandDims(sigma, 2),
          );
          const m = tf.div(
            tf.concat(
              Array.from({ length: L }, (_, l) => got[`mlp${l}`]!),
              1,
            ),
            sigma,
          );
          const e = tf.div(got.embed!, sigma);
          const b = tf.add(tf.div(k.bias, sigma), k.constant);
          return [h, m, tf.reshape(e, [-1]), tf.reshape(b, [-1]), tf.reshape(got.diff!, [-1])];
        });
        const [h, m, e, b, diff] = await readAll(out);
        heads.set(h!, start * L * H);
        mlps.set(m!, start * L);
        embed.set(e!, start);
        biases.set(b!, start);
        logitDiff.set(diff!, start);
      } finally {
        for (const t of Object.values(got)) t.dispose();
      }
    }
  } finally {
    tf.dispose([k.d, k.u, k.bias, k.constant, ...k.headReadout]);
  }
  return summarise(L, H, n, heads, mlps, embed, biases, logitDiff);
}

function summarise(
  L: number,
  H: number,
  n: number,
  heads: Float32Array,
  mlps: Float32Array,
  embed: Float32Array,
  biases: Float32Array,
  logitDiff: Float32Array,
): DlaResult {
  const meanHeads = new Float32Array(L * H);
  const meanMlps = new Float32Array(L);
  let explained = 0;
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < L * H; i++) meanHeads[i]! += heads[p * L * H + i]! / n;
    for (let l = 0; l < L; l++) meanMlps[l]! += mlps[p * L + l]! / n;
  }
  const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / n;
  explained = meanHeads.reduce((s, x) => s + x, 0) + meanMlps.reduce((s, x) => s + x, 0);
  const e = mean(embed);
  const b = mean(biases);
  const diff = mean(logitDiff);
  const other = diff - explained - e - b;
  return {
    nLayers: L,
    nHeads: H,
    prompts: n,
    heads: meanHeads,
    mlps: meanMlps,
    embed: e,
    biases: b,
    other,
    remainder: e + b + other,
    logitDiff: diff,
    perPrompt: { heads, logitDiff },
  };
}
