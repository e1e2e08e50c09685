/**
 * The steering vector of the current pairs: built in the worker from its recipe whenever the
 * recipe changes (debounced while the person types), never for a coefficient change. Once a
 * continuation has been asked for, a rebuilt vector or a new coefficient re-runs the steered side.
 */
import { steeringVectorSource } from '../../experiment';
import type { VectorInfo } from '../../worker';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './errors';
import { generate } from './generate';

const { getState, setState } = useStore;

/** Typing pairs: wait for a pause before reading them through the model. */
const VECTOR_DELAY_MS = 400;
/**
 * Dragging the slider: re-run as soon as it rests briefly (the worker cancels stale runs anyway).
 * Letting go of it runs at once (`flushSteered`), so the delay costs nothing after a release.
 */
const STEERED_DELAY_MS = 60;
/** Times a build cancelled by the worker (not by a newer recipe) is asked again. */
const BUILD_RETRIES = 3;

let pending: { key: string; promise: Promise<VectorInfo | undefined> } | undefined;
let vectorTimer: ReturnType<typeof setTimeout> | undefined;
let steeredTimer: ReturnType<typeof setTimeout> | undefined;

/** The vector for the current pairs and model: built, or found built, or undefined (see vector.status). */
export function syncVector(): Promise<VectorInfo | undefined> {
  const { current: model, experiment, vector } = getState();
  if (!model) return Promise.resolve(undefined);
  let recipe: ReturnType<typeof steeringVectorSource>;
  try {
    recipe = steeringVectorSource(experiment.steering, { id: model.id, nLayers: model.spec.nLayers });
  } catch (e) {
    // The experiment does not fit this model (a layer it lacks): say so where the vector shows.
    setState({ vector: { status: 'error', error: errorOf(e) } });
    return Promise.resolve(undefined);
  }
  if (!recipe) {
    if (vector.status !== 'none') setState({ vector: { status: 'none' } });
    return Promise.resolve(undefined);
  }
  const key = JSON.stringify(recipe);
  if (vector.recipeKey === key && vector.status === 'ready') return Promise.resolve(vector.info);
  if (pending?.key === key) return pending.promise;
  const stillCurrent = () => getState().vector.recipeKey === key;
  setState({
    vector: {
      status: 'building',
      recipeKey: key,
      progress: { done: 0, total: recipe.from === 'contrast' ? 2 * recipe.pairs.length : 1 },
    },
  });
  const promise = (async () => {
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const info = await modelWorker().buildVector(recipe, (progress) => {
            if (stillCurrent()) setState((s) => ({ vector: { ...s.vector, progress } }));
          });
          if (!stillCurrent()) return undefined;
          setState({ vector: { status: 'ready', recipeKey: key, info } });
          return info;
        } catch (e) {
          const error = errorOf(e);
          // A newer recipe took over: its own build sets the status.
          if (!stillCurrent()) return undefined;
          // Cancelled while still the recipe shown: the worker began reading other pairs (a lens
          // or a steered run resolving a vector of its own). Ask again, so that the status ends
          // ready or failed, never stuck on building.
          if (error.code === 'cancelled' && attempt < BUILD_RETRIES) continue;
          setState({ vector: { status: 'error', recipeKey: key, error } });
          return undefined;
        }
      }
    } finally {
      if (pending?.key === key) pending = undefined;
    }
  })();
  pending = { key, promise };
  return promise;
}

/** The pairs or where they are read changed: rebuild after a pause, then re-run the steered side. */
export function scheduleVector(): void {
  clearTimeout(vectorTimer);
  clearTimeout(steeredTimer);
  steeredTimer = undefined;
  vectorTimer = setTimeout(() => {
    void syncVector().then(() => {
      if (getState().live) void generate('steered');
    });
  }, VECTOR_DELAY_MS);
}

/** Only how the vector is applied changed: re-run the steered side, not the vector. */
export function scheduleSteered(): void {
  if (!getState().live) return;
  clearTimeout(steeredTimer);
  steeredTimer = setTimeout(() => {
    steeredTimer = undefined;
    void generate('steered');
  }, STEERED_DELAY_MS);
}

/** The slider was let go (pointer up, key up): run the steered side now rather than after the delay. */
export function flushSteered(): void {
  if (steeredTimer === undefined) return;
  clearTimeout(steeredTimer);
  steeredTimer = undefined;
  void generate('steered');
}
