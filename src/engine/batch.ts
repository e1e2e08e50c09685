/**
 * Several prompts in one forward pass: left padding, which `run` and `KvCache` understand, and
 * hooks that differ per row.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RudderError } from './errors';
import type { HookFn, HookName, Hooks } from './hooks';

export interface PaddedBatch {
  /** Every row `width` long, real tokens at the right. */
  readonly rows: number[][];
  readonly leftPad: number[];
  readonly lengths: number[];
  readonly width: number;
}

/** Left-pads prompts to one length (with each row's own first token: pad keys are masked out). */
export function leftPadBatch(prompts: readonly (readonly number[])[]): PaddedBatch {
  if (prompts.length === 0) throw new RudderError('empty-input', 'This needs at least one prompt.');
  const lengths = prompts.map((p) => p.length);
  if (lengths.some((n) => n === 0)) throw new RudderError('empty-input', 'A prompt has no tokens.');
  const width = Math.max(...lengths);
  const leftPad = lengths.map((n) => width - n);
  const rows = prompts.map((p, i) => [...new Array<number>(leftPad[i]!).fill(p[0]!), ...p]);
  return { rows, leftPad, lengths, width };
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
