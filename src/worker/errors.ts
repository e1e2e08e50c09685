/**
 * Errors as they cross the worker boundary: plain `{ code, message }` objects (Comlink rethrows a
 * thrown non-Error value as it is, while an Error would lose its `code`).
 */
import { RudderError } from '../engine';
import type { WorkerError } from './api';

export function toWorkerError(e: unknown): WorkerError {
  if (e instanceof RudderError) return { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
  // The wasm heap or a GPU buffer could not grow: say so in words a person can act on.
  if (/out of memory|allocation failed|Cannot enlarge memory|OOM/i.test(message)) {
    return {
      code: 'out-of-memory',
      message: `The model ran out of memory on this device (${message}). Choose a smaller model or close other tabs.`,
    };
  }
  if (/device (was )?lost/i.test(message)) {
    return {
      code: 'device-lost',
      message: `The GPU device was lost (${message}). Reload the page; if it happens again, try ?backend=wasm.`,
    };
  }
  return { code: 'internal', message: message || 'Something went wrong in the model worker.' };
}

export function isWorkerError(v: unknown): v is WorkerError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as WorkerError).code === 'string' &&
    typeof (v as WorkerError).message === 'string'
  );
}
