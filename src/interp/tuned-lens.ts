/**
 * Tuned lens (METHODS.md §12; AlignmentResearch/tuned-lens): one affine translator per layer,
 * logits_l = W_U · ln_final(h_l + A_l h_l + b_l), zero-initialised (so that an untrained lens is
 * the logit lens exactly) and trained to minimise KL(final ‖ lens) on text. Translators act on
 * `resid_pre[l]` for l < L; the last block's output needs none (its lens is the model).
 *
 * Saved beside the model as `tuned-lens.safetensors`, with tuned-lens's PyTorch names and layout
 * (`layer_translators.{l}.weight` [out, in], `.bias` [out]) so that the two convert trivially.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ensureGradients,
  type HostTensor,
  type Model,
  type ModelSource,
  type ModelSpec,
  parseSafetensors,
  RudderError,
  writeSafetensors,
} from '../engine';
import { finalNorm, unembed } from './readout';

export const TUNED_LENS_FILE = 'tuned-lens.safetensors';
const FORMAT = 'rudder-tuned-lens';

export class TunedLens {
  private constructor(
    readonly nLayers: number,
    readonly dModel: number,
    /** [d_in, d_out] per resid_pre index: x @ A, the layout the matmul kernels want. */
    private readonly A: tf.Variable[],
    private readonly b: tf.Variable[],
  ) {}

  /** The untrained lens: every translator zero. Owns device variables: call `dispose()`. */
  static identity(spec: Pick<ModelSpec, 'nLayers' | 'dModel'>): TunedLens {
    const { nLayers: L, dModel: d } = spec;
    const A = Array.from({ length: L }, () => zeroVariable([d, d]));
    const b = Array.from({ length: L }, () => zeroVariable([d]));
    return new TunedLens(L, d, A, b);
  }

  /** h [..., d] at resid_pre[index] → h + h·A + b (a new tensor; call inside tidy). */
  translate(index: number, h: tf.Tensor): tf.Tensor {
    const A = this.A[index];
    if (!A) throw new RudderError('bad-layer', `The tuned lens has no translator for layer ${index}.`);
    const flat = tf.reshape(h, [-1, this.dModel]) as tf.Tensor2D;
    const moved = tf.fused.matMul({ a: flat, b: A, bias: this.b[index] });
    return tf.add(h, tf.reshape(moved, h.shape));
  }

  get variables(): tf.Variable[] {
    return [...this.A, ...this.b];
  }

  /** Translators as host tensors under tuned-lens's names ([out, in] weights). */
  async toHost(): Promise<Record<string, HostTensor>> {
    const d = this.dModel;
    const out: Record<string, HostTensor> = {};
    for (let l = 0; l < this.nLayers; l++) {
      const w = tf.tidy(() => tf.transpose(this.A[l]!));
      try {
        out[`layer_translators.${l}.weight`] = { shape: [d, d], data: (await w.data()) as Float32Array };
      } finally {
        w.dispose();
      }
      out[`layer_translators.${l}.bias`] = { shape: [d], data: (await this.b[l]!.data()) as Float32Array };
    }
    return out;
  }

  static fromHost(
    spec: Pick<ModelSpec, 'nLayers' | 'dModel'>,
    tensors: ReadonlyMap<string, HostTensor>,
  ): TunedLens {
    const { nLayers: L, dModel: d } = spec;
    const problems: string[] = [];
    for (let l = 0; l < L; l++) {
      for (const [name, shape] of [
        [`layer_translators.${l}.weight`, [d, d]],
        [`layer_translators.${l}.bias`, [d]],
      ] as const) {
        const t = tensors.get(name);
        if (!t) problems.push(`missing ${name}`);
        else if (t.shape.join() !== shape.join())
          problems.push(`${name} is [${t.shape}], expected [${shape}]`);
      }
    }
    if (problems.length)
      throw new RudderError(
        'tuned-lens-mismatch',
        `The tuned lens does not fit this model (${problems.slice(0, 4).join('; ')}). Retrain it for this model.`,
      );
    const lens = TunedLens.identity(spec);
    for (let l = 0; l < L; l++) {
      const w = tensors.get(`layer_translators.${l}.weight`)!;
      tf.tidy(() => lens.A[l]!.assign(tf.transpose(tf.tensor2d(w.data, [d, d]))));
      tf.tidy(() => lens.b[l]!.assign(tf.tensor1d(tensors.get(`layer_translators.${l}.bias`)!.data)));
    }
    return lens;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

function zeroVariable(shape: number[]): tf.Variable {
  const zeros = tf.zeros(shape);
  // Unnamed: tfjs variable names are global, and two lenses may be alive at once.
  const v = tf.variable(zeros, true);
  zeros.dispose();
  return v;
}

export async function tunedLensToSafetensors(lens: TunedLens, modelId: string): Promise<Uint8Array> {
  return writeSafetensors(
    await lens.toHost(),
    { format: FORMAT, model: modelId, n_layers: String(lens.nLayers), d_model: String(lens.dModel) },
    TUNED_LENS_FILE,
  );
}

export function tunedLensFromSafetensors(bytes: Uint8Array, spec: ModelSpec): TunedLens {
  const file = parseSafetensors(bytes, TUNED_LENS_FILE);
  return TunedLens.fromHost(spec, new Map(file.names.map((n) => [n, file.read(n)])));
}

/** The tuned lens saved beside a model, or undefined when the folder has none. */
export async function loadTunedLens(source: ModelSource, spec: ModelSpec): Promise<TunedLens | undefined> {
  if (!(await source.has(TUNED_LENS_FILE))) return undefined;
  return tunedLensFromSafetensors(await source.readBytes(TUNED_LENS_FILE), spec);
}

export interface TrainOptions {
  readonly steps?: number;
  /** Sequences per step. Default 8. */
  readonly batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  readonly learningRate?: number;
  /** Start from these translators instead of zero (they are trained in place). */
  readonly init?: TunedLens;
  readonly seed?: number;
  readonly onStep?: (step: number, loss: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Trains translators on token sequences of one length (windows of the corpus). The loss is the
 * sum over layers of the mean KL(final ‖ lens); the model's activations are inputs, not trained.
 * Returns the lens (the caller disposes it) and the loss of each step.
 */
export async function trainTunedLens(
  model: Model,
  sequences: readonly (readonly number[])[],
  opts: TrainOptions = {},
): Promise<{ lens: TunedLens; losses: number[] }> {
  assertWindows(sequences);
  ensureGradients();
  const lens = opts.init ?? TunedLens.identity(model.spec);
  const optimizer = tf.train.adam(opts.learningRate ?? 1e-3);
  const batchSize = Math.min(opts.batchSize ?? 8, sequences.length);
  const losses: number[] = [];
  let s = (opts.seed ?? 1) >>> 0;
  const random = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  try {
    for (let step = 0; step < (opts.steps ?? 200); step++) {
      if (opts.signal?.aborted) break;
      const batch = Array.from(
        { length: batchSize },
        () => sequences[Math.floor(random() * sequences.length)]!,
      );
      const { resid, lpFinal } = residualsAndTargets(model, batch);
      const loss = optimizer.minimize(
        () => tf.sum(klPerLayer(model, resid, lpFinal, lens)) as tf.Scalar,
        true,
        lens.variables,
      )!;
      resid.dispose();
      lpFinal.dispose();
      const value = (await loss.data())[0]!;
      loss.dispose();
      losses.push(value);
      opts.onStep?.(step, value);
    }
  } catch (e) {
    if (!opts.init) lens.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
  return { lens, losses };
}

/**
 * Mean KL(final ‖ lens) per translator layer (resid_pre 0 … L−1: embeddings, then each block's
 * output but the last) over every token of the sequences: the logit lens, or the tuned lens when
 * given. The figure a tuned lens must lower at every layer.
 */
export async function lensKlByLayer(
  model: Model,
  sequences: readonly (readonly number[])[],
  tuned?: TunedLens,
  opts: { readonly batchSize?: number } = {},
): Promise<Float32Array> {
  assertWindows(sequences);
  const batchSize = opts.batchSize ?? 8;
  const sum = new Float32Array(model.spec.nLayers);
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = sequences.slice(start, start + batchSize);
    const { resid, lpFinal } = residualsAndTargets(model, batch);
    const kl = tf.tidy(() => tf.mul(klPerLayer(model, resid, lpFinal, tuned), batch.length));
    resid.dispose();
    lpFinal.dispose();
    const values = (await kl.data()) as Float32Array;
    kl.dispose();
    values.forEach((v, l) => {
      sum[l]! += v;
    });
  }
  return sum.map((v) => v / sequences.length);
}

/** resid [L, n, d] (resid_pre of every block, every token) and the model's log-probs [n, vocab]. */
function residualsAndTargets(
  model: Model,
  batch: readonly (readonly number[])[],
): { resid: tf.Tensor3D; lpFinal: tf.Tensor2D } {
  const L = model.spec.nLayers;
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_pre` as const);
  const r = model.run(batch, { cache: hooks, logits: 'all' });
  return tf.tidy(() => {
    const d = model.spec.dModel;
    const resid = tf.stack(hooks.map((h) => tf.reshape(r.cache.get(h)!, [-1, d]))) as tf.Tensor3D;
    const lpFinal = tf.logSoftmax(tf.reshape(r.logits!, [-1, model.spec.vocabSize])) as tf.Tensor2D;
    r.logits!.dispose();
    for (const t of r.cache.values()) t.dispose();
    return { resid, lpFinal };
  });
}

/** resid [L, n, d], lpFinal [n, vocab] → mean KL(final ‖ lens) per layer [L]. Differentiable. */
function klPerLayer(model: Model, resid: tf.Tensor3D, lpFinal: tf.Tensor2D, tuned?: TunedLens): tf.Tensor1D {
  const [L, n] = resid.shape;
  const layers = tf.unstack(resid).map((h, l) => (tuned ? tuned.translate(l, h) : h));
  const logits = unembed(model, finalNorm(model, tf.concat(layers)) as tf.Tensor2D); // [L·n, vocab]
  const lp = tf.reshape(tf.logSoftmax(logits), [L, n, -1]);
  const pFinal = tf.exp(lpFinal);
  return tf.div(tf.sum(tf.mul(pFinal, tf.sub(lpFinal, lp)), [1, 2]), n) as tf.Tensor1D;
}

function assertWindows(sequences: readonly (readonly number[])[]): void {
  const n = sequences[0]?.length ?? 0;
  if (n === 0 || sequences.some((s) => s.length !== n))
    throw new RudderError(
      'ragged-batch',
      'Tuned-lens text must be windows of one length (at least one token).',
    );
}
