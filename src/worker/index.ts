/**
 * The worker's public face for the main thread: the client and the message types. The worker's
 * own code (engine included) is reached only through `new Worker`, never imported here.
 */
export type * from './api';
export { createWorkerClient, WorkerCallError, type WorkerClient } from './client';
