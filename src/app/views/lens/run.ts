/**
 * Keeps the lens grids live while the lens view is open: any edit that changes what the lens
 * reads (model, prompt, steering strength or vector, interventions, lens kind, tracked token)
 * schedules one request after a short pause; the worker cancels a stale one, and an answer that
 * arrives after a newer request was sent is dropped by run id.
 */
import type { LensRequest } from '../../../worker';
import { errorOf } from '../../actions/errors';
import { steeredRequest } from '../../actions/steered';
import { type RudderState, useStore } from '../../store';
import { modelWorker } from '../../worker';

const { getState, setState } = useStore;

/** Typing or dragging: wait this long after the last edit. */
export const LENS_DELAY_MS = 100;
/** Top tokens per cell, for the hover list. */
export const LENS_K = 5;

let timer: ReturnType<typeof setTimeout> | undefined;
/** The request last sent (canonical JSON): an edit that changes none of it sends nothing. */
let sentKey = '';

/** What the lens depends on; a change of any of these (by reference) schedules a run. */
function inputs(s: RudderState): readonly unknown[] {
  const { view, generation: _, ...rest } = s.experiment;
  // Everything but the view and the generation settings may change the steered run (prompt,
  // steering, vectors, planes, interventions, …), so new top-level fields are followed too.
  return [s.current, ...Object.values(rest), view.lens.kind, view.lens.track, s.vector.status];
}

/** Starts following edits (the lens view calls this while it is shown); returns the stop. */
export function followLens(): () => void {
  sentKey = '';
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

/** Sends the lens request the current state describes (unless it was the last one sent). */
export async function runLens(force = false): Promise<void> {
  const model = getState().current;
  if (!model) return;
  const { experiment: exp, steering, vectors, planes, units } = await steeredRequest(model);
  if (getState().current !== model) return;
  const request: LensRequest = {
    prompt: exp.prompt.text,
    chat: exp.prompt.chat,
    kind: exp.view.lens.kind,
    k: LENS_K,
    track: exp.view.lens.track === undefined ? [] : [exp.view.lens.track],
    vectors,
    planes,
    units,
    ...(steering.length > 0 ? { steered: steering } : {}),
  };
  const key = JSON.stringify([model.id, request]);
  if (key === sentKey && !force) return;
  sentKey = key;
  const runId = getState().lens.runId + 1;
  // The last grids stay on screen while this one runs; a past error does not.
  setState((s) => ({
    lens: { runId, status: 'running', ...(s.lens.outcome ? { outcome: s.lens.outcome } : {}) },
  }));
  const current = () => getState().lens.runId === runId;
  inFlight++;
  try {
    const outcome = await modelWorker()
      .lens(request)
      .finally(() => inFlight--);
    if (current()) setState({ lens: { runId, status: 'done', outcome } });
  } catch (e) {
    const error = errorOf(e);
    if (!current()) return;
    sentKey = '';
    // Cancelled while still the newest (a vector build or a model load took over): ask again.
    if (error.code === 'cancelled') return scheduleLens();
    setState((s) => ({
      lens: { runId, status: 'error', error, ...(s.lens.outcome ? { outcome: s.lens.outcome } : {}) },
    }));
  }
}
