/** The page's one model worker, started on first use (and again after it died). */
import { createWorkerClient, type WorkerCallError, type WorkerClient } from '../worker';

let client: WorkerClient | undefined;
let onDeath: ((error: WorkerCallError) => void) | undefined;

export function modelWorker(): WorkerClient {
  client ??= createWorkerClient({ onDeath: (e) => onDeath?.(e) });
  return client;
}

/** Who hears that the worker died by itself (actions/recover.ts). */
export function whenWorkerDies(handler: (error: WorkerCallError) => void): void {
  onDeath = handler;
}
