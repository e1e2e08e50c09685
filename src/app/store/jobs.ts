/**
 * The one shape of a worker job's state in the store, whatever the view: which request it
 * answers, whether it runs, its progress, its last result (kept on screen while a newer one runs)
 * or its error. `app/actions/job.ts` is the one way to run a job into it.
 */
export interface ShownError {
  readonly code: string;
  readonly message: string;
}

export interface JobState<T, P = never> {
  /** Increments per request; the answer of an older one is dropped. */
  readonly runId: number;
  readonly status: 'idle' | 'running' | 'done' | 'error';
  /** The request (canonical JSON) this state answers: the same one is not sent again. */
  readonly key?: string;
  readonly progress?: P;
  readonly result?: T;
  readonly error?: ShownError;
}

export const IDLE: JobState<never, never> = { runId: 0, status: 'idle' };
