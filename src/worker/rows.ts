/**
 * Generating several continuations of one prompt side by side, each row with its own
 * interventions (row 0 usually none: the baseline), all from the same seed.
 *
 * Greedy decoding runs every row in one `generateBatch` call: one forward pass per step for all
 * rows, with each row's hooks applied to its own row only (the host adds a baseline row to a
 * steered-only greedy run, so the steered row always runs in a batch of two). Sampled rows run as
 * concurrent `generate` calls, which interleave token by token because the engine yields between
 * tokens: a steered-only sampled run is one row, and a batch of two may round differently from a
 * run of one. Every row draws the seed's own stream either way (`generateBatch` gives each row the
 * same one), so coefficient 0 reproduces the baseline.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  generate,
  generateBatch,
  type HookFn,
  type HookName,
  type Hooks,
  type Model,
  type StopReason,
} from '../engine';
import type { CompiledInterventions } from '../interp';

export interface RowResult {
  readonly tokens: number[];
  readonly stopReason: StopReason;
}

export interface RowsOptions {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly onToken: (row: number, id: number, index: number) => void;
}

export async function generateRows(
  model: Model,
  prompt: readonly number[],
  rows: readonly CompiledInterventions[],
  opts: RowsOptions,
): Promise<{ results: RowResult[]; batched: boolean }> {
  const sampling = {
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
    ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
    seed: opts.seed,
    signal: opts.signal,
  };
  if (rows.length > 1 && opts.temperature <= 0) {
    const stop = new Set(model.spec.eosTokenIds);
    const stopped = rows.map(() => false);
    const results = await generateBatch(
      model,
      rows.map(() => prompt),
      {
        ...sampling,
        hooks: perRowHooks(rows.map((r) => r.hooks)),
        onStep: (ids, index) =>
          ids.forEach((id, row) => {
            if (stopped[row]) return;
            if (stop.has(id)) stopped[row] = true;
            opts.onToken(row, id, index);
          }),
      },
    );
    return { results, batched: true };
  }
  const results = await Promise.all(
    rows.map((r, row) =>
      generate(model, prompt, {
        ...sampling,
        hooks: r.hooks,
        onToken: (id, index) => opts.onToken(row, id, index),
      }),
    ),
  );
  return { results, batched: false };
}

/**
 * One Hooks for a batch whose row i carries hooks[i]: at each point some row hooks, every row's
 * hooks run on the whole batch and row i of the output is taken from row i's result. Rows
 * without hooks at that point keep the activation as it came.
 */
export function perRowHooks(hooks: readonly Hooks[]): Hooks {
  const names = new Set<HookName>();
  for (const h of hooks) for (const name of Object.keys(h) as HookName[]) names.add(name);
  const out: Hooks = {};
  for (const name of names) {
    const fns = hooks.map((h) => asList(h[name]));
    const fn: HookFn = (act, ctx) => {
      const parts = fns.map((list, row) => {
        let x = act;
        for (const f of list) x = f(x, ctx) ?? x;
        const begin = act.shape.map((_, i) => (i === 0 ? row : 0));
        const size = act.shape.map((d, i) => (i === 0 ? 1 : d));
        return tf.slice(x, begin, size);
      });
      return tf.concat(parts, 0);
    };
    out[name] = fn;
  }
  return out;
}

function asList(h: HookFn | readonly HookFn[] | undefined): readonly HookFn[] {
  if (!h) return [];
  return typeof h === 'function' ? [h] : h;
}
