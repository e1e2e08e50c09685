/**
 * Head gates (METHODS.md §9): zero a head, replace it by its mean over a reference prompt set, or
 * scale it, by rewriting its slice of `attn.hook_z` (the input of the output projection). The
 * gates compile into ordinary hooks, so they apply on every decode step of a generation too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HookName, type Hooks, type Model, type ModelSpec, RudderError } from '../engine';
import { collectActivations } from './activations';

export interface HeadRef {
  readonly layer: number;
  readonly head: number;
}

export type HeadGate =
  | (HeadRef & { readonly mode: 'zero' })
  | (HeadRef & { readonly mode: 'mean' })
  | (HeadRef & { readonly mode: 'scale'; readonly factor: number });

/** Each head's mean z over a reference set, per layer a Float32Array [heads × d_head]. */
export interface HeadMeans {
  readonly z: readonly Float32Array[];
}

/** `L3.H2`: how heads are named in results and graphs. */
export function headId(h: HeadRef): string {
  return `L${h.layer}.H${h.head}`;
}

/**
 * Mean z of every head over the reference prompts: each prompt's mean over its tokens, then the
 * mean over prompts (so that long prompts do not outweigh short ones).
 */
export async function headMeans(
  model: Model,
  prompts: readonly (readonly number[])[],
  opts: { readonly batchSize?: number } = {},
): Promise<HeadMeans> {
  const hooks = Array.from({ length: model.spec.nLayers }, (_, l) => `blocks.${l}.attn.hook_z` as HookName);
  const acts = await collectActivations(model, prompts, hooks, { kind: 'mean' }, opts);
  return {
    z: hooks.map((h) => {
      const rows = acts.get(h)!;
      const mean = new Float32Array(rows[0]!.length);
      for (const r of rows) for (let i = 0; i < r.length; i++) mean[i]! += r[i]! / rows.length;
      return mean;
    }),
  };
}

/**
 * Hooks that apply the gates: per layer z' = z ∘ a + c, with a the per-head scale (0 for zero
 * and mean ablation) and c the mean (mean ablation only). A later gate on the same head wins.
 */
export function headGateHooks(spec: ModelSpec, gates: readonly HeadGate[], means?: HeadMeans): Hooks {
  const { nHeads: H, dHead: D } = spec;
  const byLayer = new Map<number, { scale: Float32Array; offset: Float32Array | undefined }>();
  for (const g of gates) {
    checkHead(spec, g);
    let entry = byLayer.get(g.layer);
    if (!entry) {
      entry = { scale: new Float32Array(H).fill(1), offset: undefined };
      byLayer.set(g.layer, entry);
    }
    entry.scale[g.head] = g.mode === 'scale' ? g.factor : 0;
    if (entry.offset) entry.offset.fill(0, g.head * D, (g.head + 1) * D);
    if (g.mode === 'mean') {
      const m = means?.z[g.layer];
      if (!m || m.length !== H * D)
        throw new RudderError(
          'missing-means',
          'Mean ablation needs head means: compute them with headMeans() first.',
        );
      entry.offset ??= new Float32Array(H * D);
      entry.offset.set(m.subarray(g.head * D, (g.head + 1) * D), g.head * D);
    }
  }
  const hooks: Hooks = {};
  for (const [layer, { scale, offset }] of byLayer) {
    hooks[`blocks.${layer}.attn.hook_z`] = (z) => {
      const gated = tf.mul(z, tf.tensor4d(scale, [1, 1, H, 1]));
      return offset ? tf.add(gated, tf.tensor4d(offset, [1, 1, H, D])) : gated;
    };
  }
  return hooks;
}

export function checkHead(spec: ModelSpec, h: HeadRef): void {
  if (!Number.isInteger(h.layer) || h.layer < 0 || h.layer >= spec.nLayers)
    throw new RudderError('bad-layer', `Layer ${h.layer} does not exist (the model has ${spec.nLayers}).`);
  if (!Number.isInteger(h.head) || h.head < 0 || h.head >= spec.nHeads)
    throw new RudderError('bad-head', `Head ${h.head} does not exist (each layer has ${spec.nHeads}).`);
}
