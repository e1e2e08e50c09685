/**
 * A sparse autoencoder on one hook point's activations (METHODS.md §17; Anthropic "Towards
 * Monosemanticity", SAELens): f = ReLU(W_enc (x − b_dec) + b_enc), x̂ = W_dec f + b_dec, every
 * decoder direction of unit norm, in the activation's own units (training normalises its inputs;
 * the scale is folded back in, see train.ts). Saved as safetensors with SAELens's tensor names and
 * layouts (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec) and its settings as metadata.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, RudderError, WeightsFormatError, writeSafetensors } from '../../engine';
import { isVectorHook } from '../formats/common';
import type { VectorHook } from '../recipe';

export interface SparseAutoencoder {
  /** The model whose activations it was trained on. */
  readonly modelId: string;
  readonly hook: VectorHook;
  readonly layer: number;
  readonly dIn: number;
  readonly dSae: number;
  /** [dIn, dSae], row-major. */
  readonly W_enc: Float32Array;
  readonly b_enc: Float32Array;
  /** [dSae, dIn]: row j is feature j's decoder direction (METHODS.md's column W_dec[:, j]). */
  readonly W_dec: Float32Array;
  readonly b_dec: Float32Array;
  /** The L1 coefficient it was trained with. */
  readonly l1: number;
}

/** Feature activations f [n, dSae] of x [n, dIn] (call inside tidy, or dispose the result). */
export function encode(sae: SparseAutoencoder, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const W = tf.tensor2d(sae.W_enc, [sae.dIn, sae.dSae]);
    const centred = tf.sub(x, tf.tensor1d(sae.b_dec));
    return tf.relu(tf.add(tf.matMul(centred, W), tf.tensor1d(sae.b_enc))) as tf.Tensor2D;
  });
}

/** x̂ [n, dIn] of features f [n, dSae]. */
export function decode(sae: SparseAutoencoder, f: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.add(tf.matMul(f, tf.tensor2d(sae.W_dec, [sae.dSae, sae.dIn])), tf.tensor1d(sae.b_dec)),
  );
}

/** Feature j's decoder direction (a view into W_dec). */
export function decoderDirection(sae: SparseAutoencoder, j: number): Float32Array {
  if (!Number.isInteger(j) || j < 0 || j >= sae.dSae)
    throw new RudderError('bad-feature', `Feature ${j} does not exist (the SAE has 0..${sae.dSae - 1}).`);
  return sae.W_dec.subarray(j * sae.dIn, (j + 1) * sae.dIn);
}

export const SAE_FORMAT = 'rudder-sae/1';

export function saeToSafetensors(sae: SparseAutoencoder): Uint8Array {
  const { dIn, dSae } = sae;
  return writeSafetensors(
    {
      W_enc: { shape: [dIn, dSae], data: sae.W_enc },
      b_enc: { shape: [dSae], data: sae.b_enc },
      W_dec: { shape: [dSae, dIn], data: sae.W_dec },
      b_dec: { shape: [dIn], data: sae.b_dec },
    },
    {
      format: SAE_FORMAT,
      model: sae.modelId,
      hook_name: `blocks.${sae.layer}.hook_${sae.hook}`,
      hook: sae.hook,
      layer: String(sae.layer),
      l1_coefficient: String(sae.l1),
    },
    'sae.safetensors',
  );
}

export function saeFromSafetensors(bytes: Uint8Array, fileName = 'sae.safetensors'): SparseAutoencoder {
  const file = parseSafetensors(bytes, fileName);
  const meta = file.metadata;
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  if (meta.format !== SAE_FORMAT) fail(`is not a Rudder SAE (its metadata has no "format": "${SAE_FORMAT}")`);
  if (!isVectorHook(meta.hook)) fail(`names hook ${JSON.stringify(meta.hook)}`);
  const get = (name: string) => {
    if (!file.names.includes(name)) fail(`has no tensor "${name}"`);
    const t = file.read(name);
    // A copy: an F32 view would keep the whole file's bytes alive.
    return { shape: t.shape, data: Float32Array.from(t.data) };
  };
  const W_enc = get('W_enc');
  const [dIn, dSae] = W_enc.shape as [number, number];
  const expect = (name: string, shape: number[]) => {
    const t = get(name);
    if (t.shape.join() !== shape.join())
      fail(`has tensor "${name}" of shape [${t.shape}], expected [${shape}]`);
    return t.data;
  };
  const layer = Number(meta.layer);
  if (meta.layer === undefined || !Number.isInteger(layer) || layer < 0)
    fail('has no layer number in its metadata');
  if (W_enc.shape.length !== 2) fail(`has tensor "W_enc" of shape [${W_enc.shape}]`);
  return {
    modelId: meta.model ?? fail('has no model in its metadata'),
    hook: meta.hook as VectorHook,
    layer,
    dIn,
    dSae,
    W_enc: W_enc.data,
    b_enc: expect('b_enc', [dSae]),
    W_dec: expect('W_dec', [dSae, dIn]),
    b_dec: expect('b_dec', [dIn]),
    l1: Number(meta.l1_coefficient ?? Number.NaN),
  };
}
