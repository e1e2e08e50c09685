import { WorkerCallError } from '../../worker';
import type { ShownError } from '../store';

export function errorOf(e: unknown): ShownError {
  if (e instanceof WorkerCallError) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
