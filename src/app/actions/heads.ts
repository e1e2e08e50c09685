/**
 * The head view's jobs: the scores of the experiment's prompt for the head grid, and the attention
 * pattern of the hovered head. The view asks (useHeadData.ts decides when); the worker cancels a
 * stale scoring, and a pattern it already read for this prompt is not asked again.
 */
import type { HeadMeasure } from '../../worker';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { runJob } from './job';

const { getState } = useStore;

export interface ScoresQuery {
  readonly measure: HeadMeasure;
  /** dla: the logit difference's tokens (default: the top two next tokens). */
  readonly tokens: { readonly target: number; readonly baseline: number } | undefined;
  /** patch: the counterpart prompt (default: one of the model's own requests). */
  readonly counterpart: string;
}

/** The model and the prompt the head view reads: what its answers depend on besides the query. */
function promptKey(): unknown[] {
  const { current, experiment } = getState();
  return [current?.id, experiment.prompt];
}

export async function scoreHeads(q: ScoresQuery): Promise<void> {
  const { experiment } = getState();
  const request = {
    measure: q.measure,
    ...(q.tokens && q.measure === 'dla' ? { tokens: q.tokens } : {}),
    ...(q.counterpart.trim() && q.measure === 'patch' ? { counterpart: q.counterpart } : {}),
  };
  await runJob(['heads'], {
    request: JSON.stringify([...promptKey(), request]),
    call: () => modelWorker().headScores({ experiment, ...request }),
    results: (scores) => ({ heads: scores }),
  });
}

export async function readPattern(layer: number, head: number): Promise<void> {
  const { experiment } = getState();
  await runJob(['pattern'], {
    request: JSON.stringify([...promptKey(), layer, head]),
    call: () => modelWorker().attentionPattern({ experiment, layer, head }),
    results: (pattern) => ({ pattern }),
  });
}
