/**
 * What an imported (inline) vector needs before it can steer: its shape checked against the model,
 * the activation norms the slider's range is read from (it brings no pairs to measure them on),
 * and a short cache key.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type HookName, type Model } from '../engine';
import { IncompatibleVectorError, type SteeringVector, vectorLayers } from '../interp';

/** A text to measure activation norms on when a vector brings no pairs of its own. */
export const PROBE = 'The day began quietly, and then something happened in the town.';

/** Throws IncompatibleVectorError unless the vector's width and layers fit the model. */
export function checkShape(model: Model, v: SteeringVector, what: string): void {
  const want = v.hook === 'mlp_post' ? model.spec.dMlp : model.spec.dModel;
  if (v.width !== want) {
    const made = v.modelId ? `it was made for ${v.modelId}` : 'it was made for another model';
    throw new IncompatibleVectorError(
      `${what} is ${v.width} values wide, but ${v.hook} of this model (${model.id}) is ${want} wide: ${made}. Import a vector made for this one.`,
    );
  }
  const beyond = vectorLayers(v).filter((l) => l >= model.spec.nLayers);
  if (beyond.length)
    throw new IncompatibleVectorError(
      `${what} steers layer ${beyond.join(', ')}, but this model has layers 0..${model.spec.nLayers - 1}.`,
    );
}

/**
 * The norm of the mean activation over a prompt at each hook. Read back asynchronously: a
 * synchronous read loses the device on WebGPU in a worker (SwiftShader), and this runs there.
 */
export async function meanNorms(
  model: Model,
  prompt: readonly number[],
  hooks: readonly HookName[],
): Promise<number[]> {
  const result = model.run([prompt], { cache: hooks, logits: 'none' });
  try {
    const norms = tf.tidy(() => tf.stack(hooks.map((h) => tf.norm(tf.mean(result.cache.get(h)!, [0, 1])))));
    const data = await norms.data();
    norms.dispose();
    return Array.from(data);
  } finally {
    disposeResult(result);
  }
}

/** FNV-1a: a short cache key for an inline vector's JSON. */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${(h >>> 0).toString(16)}-${text.length}`;
}
