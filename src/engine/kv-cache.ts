/**
 * Keys and values of the tokens seen so far, so that each decode step runs one token through the
 * model. Created per generation and passed to `run` explicitly (no hidden state in the model).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from './spec';

export interface LayerKv {
  /** [batch, kvHeads, keyPos, dHead], after rotary. */
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export class KvCache {
  /** One entry per layer once the first call has run. */
  readonly layers: (LayerKv | undefined)[];
  /** Number of positions cached (the absolute position of the next token). */
  length = 0;

  /**
   * @param leftPad tokens of left padding per batch row (pad keys are masked out and positions
   *   count from each row's first real token); all zero for an unpadded batch.
   */
  constructor(
    spec: ModelSpec,
    readonly leftPad: readonly number[] = [],
  ) {
    this.layers = new Array(spec.nLayers).fill(undefined);
  }

  /** Frees every cached tensor; the cache is empty afterwards. */
  dispose(): void {
    for (const kv of this.layers) {
      kv?.k.dispose();
      kv?.v.dispose();
    }
    this.layers.fill(undefined);
    this.length = 0;
  }
}
