import type { ShownError } from '../store';

/** Worker failures (WorkerCallError) and the app's own typed errors (RudderError) keep their code. */
export function errorOf(e: unknown): ShownError {
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string')
    return { code: (e as Error & { code: string }).code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
