/**
 * Autoregressive generation with a KV cache: one prompt pass, then one token per step. Hooks
 * apply on every step (ctx.step, ctx.offset give absolute positions); one integer per row is
 * read back per step; cancellation is checked between tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Hooks } from './hooks';
import { KvCache } from './kv-cache';
import type { Model } from './model';
import { type SamplingOptions, sampleTokens, seededRandom } from './sampling';

export interface GenerateOptions extends SamplingOptions {
  readonly maxTokens: number;
  /** Seed for sampling; the same seed gives the same tokens. Random when omitted. */
  readonly seed?: number;
  /** Token ids that end generation (included in the output). Defaults to the model's EOS ids. */
  readonly stopTokens?: readonly number[];
  readonly hooks?: Hooks;
  readonly signal?: AbortSignal;
  /** Called with each new token as soon as it is chosen. */
  readonly onToken?: (id: number, index: number) => void;
}

export type StopReason = 'max-tokens' | 'stop-token' | 'context-full' | 'cancelled';

export interface GenerateResult {
  /** The generated ids (not the prompt). */
  readonly tokens: number[];
  readonly stopReason: StopReason;
}

export async function generate(
  model: Model,
  prompt: readonly number[],
  opts: GenerateOptions,
): Promise<GenerateResult> {
  const stop = new Set(opts.stopTokens ?? model.spec.eosTokenIds);
  const random = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const kv = new KvCache(model.spec);
  const tokens: number[] = [];
  let input: readonly number[] = prompt;
  try {
    for (let step = 0; step < opts.maxTokens; step++) {
      if (opts.signal?.aborted) return { tokens, stopReason: 'cancelled' };
      if (kv.length + input.length > model.spec.nCtx) return { tokens, stopReason: 'context-full' };
      const next = tf.tidy(() => {
        const { logits } = model.run(input, { kv, hooks: opts.hooks, logits: 'last', step });
        return sampleTokens(tf.squeeze(logits!, [1]), opts, [random()]);
      });
      const id = (await next.data())[0]!;
      next.dispose();
      tokens.push(id);
      opts.onToken?.(id, step);
      if (stop.has(id)) return { tokens, stopReason: 'stop-token' };
      input = [id];
      await yieldToEventLoop();
    }
    return { tokens, stopReason: 'max-tokens' };
  } finally {
    kv.dispose();
  }
}

/**
 * Lets queued events (a cancel message, a UI update) run between tokens. A resolved promise is
 * not enough: it only drains microtasks.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
