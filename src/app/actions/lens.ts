/**
 * The lens view's job: keeps the lens grids live while the view is open. Any edit that changes
 * what the lens reads (model, prompt, steering, interventions, lens kind, tracked token)
 * schedules one request after a short pause; the worker cancels a stale one, and an answer that
 * arrives after a newer request was sent is dropped.
 */
import { type RudderState, useStore } from '../store';
import { modelWorker } from '../worker';
import { runJob } from './job';

const { getState } = useStore;

/** Typing or dragging: wait this long after the last edit. */
export const LENS_DELAY_MS = 100;
/** Top tokens per cell, for the hover list. */
export const LENS_K = 5;

let timer: ReturnType<typeof setTimeout> | undefined;

/** What the lens depends on; a change of any of these (by reference) schedules a run. */
function inputs(s: RudderState): readonly unknown[] {
  const { view, generation: _, ...rest } = s.experiment;
  // Everything but the view and the generation settings may change the steered run (prompt,
  // steering, vectors, planes, interventions, …), so new top-level fields are followed too.
  return [s.current, ...Object.values(rest), view.lens.kind, view.lens.track];
}

/** Starts following edits (the lens view calls this while it is shown); returns the stop. */
export function followLens(): () => void {
  scheduleLens(0);
  let last = inputs(getState());
  const unsubscribe = useStore.subscribe((s) => {
    const now = inputs(s);
    if (now.every((v, i) => v === last[i])) return;
    last = now;
    scheduleLens();
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}

/** When the last edit was scheduled, and whether a request is out (for the leading edge). */
let lastEdit = Number.NEGATIVE_INFINITY;
let inFlight = 0;

/**
 * Debounced on the trailing edge while edits come quickly (typing, dragging), but the first edit
 * after a pause runs at once: a single edit then costs the lens's own time, not the delay too.
 */
export function scheduleLens(delay?: number): void {
  const now = performance.now();
  const quiet = now - lastEdit > LENS_DELAY_MS && inFlight === 0;
  lastEdit = now;
  clearTimeout(timer);
  timer = setTimeout(() => void runLens(), delay ?? (quiet ? 0 : LENS_DELAY_MS));
}

/** Sends the lens request the current state describes (unless the grids shown already answer it). */
export async function runLens(force = false): Promise<void> {
  const { current: model, experiment } = getState();
  if (!model) return;
  // The lens reads all of the experiment but the generation settings and the rest of the view.
  const { generation: _, view, ...rest } = experiment;
  inFlight++;
  try {
    await runJob(['lens'], {
      request: JSON.stringify([model.id, rest, view.lens.kind, view.lens.track]),
      force,
      call: () => modelWorker().lens({ experiment, k: LENS_K }),
      results: (outcome) => ({ lens: outcome }),
    });
  } finally {
    inFlight--;
  }
}
