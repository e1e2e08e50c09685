/**
 * Autoregressive generation with a KV cache: one prompt pass, then one token per step. Hooks
 * apply on every step (ctx.step, ctx.offset give absolute positions); one integer per row is
 * read back per step; cancellation is checked between tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { leftPadBatch, perRowHooks } from './batch';
import { RudderError } from './errors';
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
  const { onToken } = opts;
  const [result] = await generateBatch(model, [prompt], {
    ...opts,
    onToken: onToken && ((_row, id, index) => onToken(id, index)),
  });
  return result!;
}

export interface GenerateBatchOptions extends Omit<GenerateOptions, 'onToken' | 'hooks'> {
  /** One Hooks for every row, or a list with row i's own hooks at i (a baseline row has `{}`). */
  readonly hooks?: Hooks | readonly Hooks[];
  /** Called with each new token of a row that has not stopped (its stop token included). */
  readonly onToken?: (row: number, id: number, index: number) => void;
}

/**
 * Generates for several prompts at once (left-padded into one batch): one forward pass per step
 * for all rows, which amortises the per-kernel cost that dominates small models. Rows stop
 * independently. Every row draws the seed's own stream, so two rows of the same prompt whose
 * hooks change nothing give the same tokens (steering at strength 0 reproduces the baseline).
 */
export async function generateBatch(
  model: Model,
  prompts: readonly (readonly number[])[],
  opts: GenerateBatchOptions,
): Promise<GenerateResult[]> {
  const stop = new Set(opts.stopTokens ?? model.spec.eosTokenIds);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  // Every row draws the same stream: a row's text depends on its prompt and the seed, not on its place in the batch.
  const randoms = prompts.map(() => seededRandom(seed));
  const padded = leftPadBatch(prompts);
  const kv = new KvCache(model.spec, padded.leftPad);
  const tokens: number[][] = prompts.map(() => []);
  const reasons: (StopReason | undefined)[] = prompts.map(() => undefined);
  const finish = (reason: StopReason) =>
    tokens.map((t, i) => ({ tokens: t, stopReason: reasons[i] ?? reason }));
  const hooks = batchHooks(opts.hooks, prompts.length);
  let input: number[][] = padded.rows;
  try {
    for (let step = 0; step < opts.maxTokens; step++) {
      if (opts.signal?.aborted) return finish('cancelled');
      if (kv.length + input[0]!.length > model.spec.nCtx) return finish('context-full');
      const next = tf.tidy(() => {
        const { logits } = model.run(input, { kv, hooks, logits: 'last', step });
        return sampleTokens(
          tf.squeeze(logits!, [1]),
          opts,
          randoms.map((r) => r()),
        );
      });
      const ids = Array.from(await next.data());
      next.dispose();
      ids.forEach((id, row) => {
        if (reasons[row]) return;
        tokens[row]!.push(id);
        if (stop.has(id)) reasons[row] = 'stop-token';
        opts.onToken?.(row, id, step);
      });
      if (reasons.every(Boolean)) return finish('stop-token');
      input = ids.map((id) => [id]);
      await yieldToEventLoop();
    }
    return finish('max-tokens');
  } finally {
    kv.dispose();
  }
}

function batchHooks(hooks: GenerateBatchOptions['hooks'], rows: number): Hooks | undefined {
  if (!Array.isArray(hooks)) return hooks as Hooks | undefined;
  const list = hooks as readonly Hooks[];
  if (list.length !== rows)
    throw new RudderError('bad-input', `Per-row hooks: ${list.length} for a batch of ${rows} prompts.`);
  return rows === 1 ? list[0] : perRowHooks(list);
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
