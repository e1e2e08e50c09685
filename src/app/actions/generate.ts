/**
 * Generation: the baseline and the steered continuation side by side, streamed into the store.
 * The request is the Experiment itself; the worker derives what steers and builds what it needs.
 * A steering edit re-runs the steered side only, after a short pause; the same request is never
 * sent twice (a debounce that fires after Generate already ran it sends nothing).
 */
import { steeredPlan } from '../../experiment';
import type { Experiment, GenerateSides, Intervention, SideOutcome } from '../../worker';
import { type Continuation, useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf, runJob } from './job';

const { getState, setState } = useStore;

/** Typing pairs: wait for a pause before the steered side reads them. */
export const PAIRS_DELAY_MS = 400;
/**
 * Dragging the slider: re-run as soon as it rests briefly (the worker cancels stale runs anyway).
 * Letting go of it runs at once (`flushSteered`), so the delay costs nothing after a release.
 */
export const STEERED_DELAY_MS = 60;

/** What the current baseline continues: re-running only the steered side is valid while it holds. */
let baselineFor = '';
let timer: ReturnType<typeof setTimeout> | undefined;
/** Set by Stop: the cancellation the person asked for, which ends the run where it got to. */
let stopped = false;

/**
 * both: the Generate button (baseline and, when anything steers, the steered side). steered: a
 * steering edit; falls back to both while the baseline is missing, running or stale.
 */
export async function generate(sides: GenerateSides = 'both'): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  setState({ live: true });
  const { current: model, experiment: exp, generation: base } = getState();
  if (!model) return;
  const continues = JSON.stringify([model.id, exp.prompt, exp.generation]);
  if (sides === 'steered' && (base.status !== 'done' || baselineFor !== continues)) sides = 'both';
  if (sides === 'both') baselineFor = continues;
  let steering: Intervention[];
  try {
    steering = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).interventions;
  } catch (e) {
    // The experiment does not fit this model (a layer it lacks): the run cannot start.
    setState((s) => ({ generation: { runId: s.generation.runId + 1, status: 'error', error: errorOf(e) } }));
    return;
  }
  const fresh: Continuation = {
    prompt: exp.prompt.text,
    chat: exp.prompt.chat && model.hasChatTemplate,
    text: '',
    tokenCount: 0,
  };
  const ran = { steering: exp.steering, vectors: exp.vectors };
  const steered: Continuation = { ...fresh, ran: { ...ran, applied: steering } };
  // Nothing steers: the steered side is idle (any run of it still going is dropped).
  if (steering.length === 0) setState((s) => ({ steered: { runId: s.steered.runId + 1, status: 'idle' } }));
  if (steering.length === 0 && sides === 'steered') return;
  const keys =
    sides === 'steered'
      ? (['steered'] as const)
      : steering.length
        ? (['generation', 'steered'] as const)
        : (['generation'] as const);
  stopped = false;
  await runJob(keys, {
    // Everything the steered side depends on: the same request again sends nothing.
    request: JSON.stringify([model.id, steeredInputs(exp)]),
    force: sides === 'both',
    start: { generation: fresh, steered },
    stopped: () => stopped,
    call: ({ partial }) =>
      modelWorker().generate({ experiment: exp, sides }, (t) =>
        partial(t.side === 'baseline' ? 'generation' : 'steered', (c) => ({
          ...c!,
          text: c!.text + t.text,
          tokenCount: t.index + 1,
        })),
      ),
    results: (out) => {
      const done = (start: Continuation, r: SideOutcome): Continuation => {
        // Cut short by something other than Stop: not a finished text (runJob sends it again).
        if (r.stopReason === 'cancelled' && !stopped)
          throw Object.assign(new Error('The run was interrupted.'), { code: 'cancelled' });
        return { ...start, text: r.text, tokenCount: r.tokens.length, stopReason: r.stopReason, ms: out.ms };
      };
      return {
        ...(out.baseline ? { generation: done(fresh, out.baseline) } : {}),
        ...(out.steered
          ? { steered: { ...done(steered, out.steered), ran: { ...ran, applied: out.steered.applied } } }
          : {}),
      };
    },
  });
}

/** The parts of an experiment the generation reads (not its view or its refusal sets). */
function steeredInputs(exp: Experiment): unknown[] {
  return [exp.prompt, exp.generation, exp.steering, exp.vectors, exp.interventions, exp.planes];
}

/** A steering edit: re-run the steered side after `delay` (once a continuation was asked for). */
export function scheduleSteered(delay = STEERED_DELAY_MS): void {
  if (!getState().live) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    void generate('steered');
  }, delay);
}

/** The slider was let go (pointer up, key up): run the steered side now rather than after the delay. */
export function flushSteered(): void {
  if (timer === undefined) return;
  clearTimeout(timer);
  timer = undefined;
  void generate('steered');
}

export function stop(): void {
  stopped = true;
  void modelWorker().cancel();
}
