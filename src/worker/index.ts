/**
 * The worker's public face for the main thread: the client and the message types (with the
 * experiment and interp types they carry, so the app imports none of interp). The worker's own
 * code (engine included) is reached only through `new Worker`, never imported here.
 */
export type * from './api';
export { createWorkerClient, WorkerCallError, type WorkerClient } from './client';
export { backendLabel, describeCheck } from './fingerprint-check';
