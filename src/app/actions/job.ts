/**
 * The one way a view runs a worker job into the store: `runJob` marks its JobState running (with
 * the request it answers), sends the request, applies progress and partial results while it is
 * still the newest, and ends it done or failed. A request equal to the one a state already
 * answers, or is running, is not sent again. A job the worker cancelled while it was still the
 * newest (a model load, a vector read of other pairs) is sent again: only Stop ends a run as
 * cancelled, never something the person did not ask for.
 */
import { type JobKey, type JobState, type RudderState, type ShownError, useStore } from '../store';

const { getState, setState } = useStore;

/** Times a job the worker cancelled, but nothing newer replaced, is sent again. */
const RETRIES = 3;

type ResultOf<K extends JobKey> = NonNullable<RudderState[K]['result']>;
type ProgressOf<K extends JobKey> = NonNullable<RudderState[K]['progress']>;

export interface JobSpec<K extends JobKey, R> {
  /** What is asked, as canonical JSON (the worker's request and whatever else the answer depends on). */
  readonly request: string;
  /** Send it even when the states already answer (or are running) this request. */
  readonly force?: boolean;
  /** The result each state shows while it runs; default: its last one, kept on screen. */
  readonly start?: Partial<Record<K, ResultOf<K>>>;
  /** Sends the request; `update` changes a state's progress or shown result while it is the newest. */
  readonly call: (update: Updates<K>) => Promise<R>;
  /** Each state's result from the answer (a state left out goes idle: nothing of it ran). */
  readonly results: (answer: R) => Partial<Record<K, ResultOf<K>>>;
  /** Whether the person asked for the cancellation (Stop): then the run ends, done, as far as it got. */
  readonly stopped?: () => boolean;
}

export interface Updates<K extends JobKey> {
  progress(key: K, p: ProgressOf<K>): void;
  partial(key: K, f: (shown: ResultOf<K> | undefined) => ResultOf<K>): void;
}

/**
 * Runs a job into the states `keys` (one, or the two sides of a generation). Resolves with the
 * answer, or undefined when it was skipped, replaced by a newer request, or failed (the state says why).
 */
export async function runJob<K extends JobKey, R>(
  keys: readonly K[],
  spec: JobSpec<K, R>,
): Promise<R | undefined> {
  const state = (k: K) => getState()[k] as JobState<ResultOf<K>, ProgressOf<K>>;
  const first = state(keys[0]!);
  if (!spec.force && first.key === spec.request && (first.status === 'running' || first.status === 'done'))
    return undefined;
  const runIds = new Map(keys.map((k) => [k, state(k).runId + 1]));
  const current = (k: K) => state(k).runId === runIds.get(k);
  const set = (k: K, patch: Partial<JobState<ResultOf<K>, ProgressOf<K>>>) => {
    if (current(k)) setState({ [k]: { ...state(k), ...patch } } as Partial<RudderState>);
  };
  setState(
    Object.fromEntries(
      keys.map((k) => {
        const shown = spec.start?.[k] ?? state(k).result;
        return [k, { runId: runIds.get(k)!, status: 'running', key: spec.request, result: shown }];
      }),
    ) as Partial<RudderState>,
  );
  // Streamed events travel on their callback's own message port, so one can arrive after the
  // answer; once the answer is in, it is the whole result and late events are dropped.
  let answered = false;
  const updates: Updates<K> = {
    progress: (k, p) => !answered && set(k, { progress: p }),
    partial: (k, f) => !answered && set(k, { result: f(state(k).result) }),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await spec.call(updates);
      answered = true;
      const results = spec.results(answer);
      for (const k of keys) {
        const r = results[k];
        set(k, r === undefined ? { status: 'idle', result: undefined } : { status: 'done', result: r });
      }
      return keys.some(current) ? answer : undefined;
    } catch (e) {
      answered = true;
      const error = errorOf(e);
      const mine = keys.filter(current);
      if (mine.length === 0) return undefined;
      if (error.code === 'cancelled') {
        if (spec.stopped?.()) {
          // Done as far as it got; not the answer to its request, which may be asked again.
          for (const k of mine) set(k, { status: 'done', key: undefined });
          return undefined;
        }
        if (attempt < RETRIES) {
          answered = false;
          for (const k of mine) set(k, { result: spec.start?.[k] ?? state(k).result });
          continue;
        }
      }
      for (const k of mine) set(k, { status: 'error', error });
      return undefined;
    }
  }
}

/** Worker failures (WorkerCallError) and the app's own typed errors (RudderError) keep their code. */
export function errorOf(e: unknown): ShownError {
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string')
    return { code: (e as Error & { code: string }).code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
