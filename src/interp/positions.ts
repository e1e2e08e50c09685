/**
 * Which positions of a forward call an intervention touches. Hooks see one call at a time (the
 * prompt, then one token per decode step) with its absolute offset, so every position rule reduces
 * to a contiguous range of the call's positions, found without any state kept between calls.
 * Positions are those of an unpadded row: in a left-padded batch, pads shift each row's tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookContext } from '../engine';
import type { InterventionPositions } from './interventions';

/** [from, to) within the call, or undefined when the call has no selected position. */
export function positionRange(
  p: InterventionPositions,
  ctx: Pick<HookContext, 'offset' | 'length' | 'step'>,
  rows = 1,
): readonly [number, number] | undefined {
  const len = ctx.length;
  switch (p.kind) {
    case 'all':
      return [0, len];
    case 'prompt':
      return ctx.step === 0 ? [0, len] : undefined;
    case 'from': {
      const from = Math.max(0, p.start - ctx.offset);
      return from < len ? [from, len] : undefined;
    }
    case 'last':
      return [len - 1, len];
    case 'prompt-last':
      return ctx.step === 0 ? [len - 1, len] : undefined;
    case 'front':
      return ctx.offset === 0 && ctx.step === 0 ? [0, Math.min(rows, len)] : undefined;
  }
}

/**
 * x [batch, pos, ...] with f applied to positions [from, to) only; the others are passed through
 * untouched (sliced and re-joined, so they stay bit-identical).
 */
export function applyRange(
  x: tf.Tensor,
  range: readonly [number, number],
  f: (part: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const [from, to] = range;
  const pos = x.shape[1]!;
  if (from === 0 && to === pos) return f(x);
  const rest = x.shape.slice(2).map(() => -1);
  const parts: tf.Tensor[] = [];
  if (from > 0) parts.push(tf.slice(x, [0, 0, ...rest.map(() => 0)], [-1, from, ...rest]));
  parts.push(f(tf.slice(x, [0, from, ...rest.map(() => 0)], [-1, to - from, ...rest])));
  if (to < pos) parts.push(tf.slice(x, [0, to, ...rest.map(() => 0)], [-1, pos - to, ...rest]));
  return tf.concat(parts, 1);
}
