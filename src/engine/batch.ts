/** Several prompts in one forward pass: left padding, which `run` and `KvCache` understand. */
import { RudderError } from './errors';

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
