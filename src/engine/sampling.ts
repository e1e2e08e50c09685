/**
 * Choosing the next token on the device, so that generation reads back one integer per row and
 * step. Greedy is argmax; sampling applies temperature, then top-k, then top-p, and picks by
 * inverse CDF with a uniform number from a seeded generator (same seed, same text).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SamplingOptions {
  /** 0 (default) is greedy decoding. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: no limit). */
  readonly topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 or undefined: no limit). */
  readonly topP?: number;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator; returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * logits: [batch, vocab] → token ids [batch] (int32). `uniforms` holds one number in [0, 1) per
 * row (ignored when greedy). Returns a new tensor the caller disposes.
 */
export function sampleTokens(
  logits: tf.Tensor2D,
  opts: SamplingOptions,
  uniforms: readonly number[],
): tf.Tensor1D {
  const temperature = opts.temperature ?? 0;
  if (temperature <= 0) return tf.argMax(logits, -1) as tf.Tensor1D;
  return tf.tidy(() => {
    const [batch, vocab] = logits.shape;
    const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, vocab) : vocab;
    const topP = opts.topP ?? 1;
    const scaled = tf.div(logits, temperature);
    // Sorting is only needed to cut the tail; plain temperature sampling works on the raw order.
    const sorted = topK < vocab || topP < 1;
    const { values, indices } = sorted ? tf.topk(scaled, topK) : { values: scaled, indices: undefined };
    let probs = tf.softmax(values);
    if (topP < 1) {
      // Keep a token while the mass before it is below p: the first token is always kept.
      const before = tf.sub(tf.cumsum(probs, 1), probs);
      probs = tf.mul(probs, tf.cast(tf.less(before, topP), 'float32'));
    }
    const cdf = tf.cumsum(probs, 1); // [b, k], unnormalised after the top-p cut
    const k = values.shape[1]!;
    const total = tf.slice(cdf, [0, k - 1], [-1, 1]);
    const threshold = tf.mul(tf.tensor2d(uniforms as number[], [batch, 1]), total);
    // The count of cdf entries below the threshold; the cdf never decreases, so a binary search
    // gives the same count (tfjs-wasm's Less broadcast over a [b, 1] operand took 30 ms at a
    // 151,936-token vocabulary, the search 0.1 ms).
    const below = tf.reshape(tf.searchSorted(cdf, threshold, 'left'), [batch]);
    const pick = tf.minimum(below, tf.scalar(k - 1, 'int32'));
    if (!indices) return pick as tf.Tensor1D; // candidates in vocabulary order: the pick is the id
    // Row b's pick is at b·k + pick in the flattened candidates (tfjs-wasm's gather with batchDims
    // returns garbage past the first row, so the batch is folded into the index instead).
    const flat = tf.add(pick, tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(k, 'int32')));
    return tf.gather(tf.reshape(indices, [-1]), flat) as tf.Tensor1D;
  });
}
