/** The page's one model worker, started on first use. */
import { createWorkerClient, type WorkerClient } from '../worker';

let client: WorkerClient | undefined;

export function modelWorker(): WorkerClient {
  client ??= createWorkerClient();
  return client;
}
