/**
 * The main thread's handle on the model worker. Wraps the Comlink remote so that callers get
 * typed promises, callbacks proxied and released, and failures as WorkerCallError (with the
 * engine's code). If the worker itself dies (its script fails to load, an uncaught error, a lost
 * GPU device), pending calls reject, `onDeath` is told, and the next call starts a fresh worker.
 */
import * as Comlink from 'comlink';
import { type LoadRequest, METHODS, type ModelRequest, type RudderWorker } from './api';
import { isWorkerError } from './errors';

export class WorkerCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerCallError';
  }
}

/**
 * The worker's API as the page calls it: the same methods (one definition, in api.ts), except that
 * `cancel` is awaited across the thread boundary and `terminate` replaces `dispose`.
 */
export interface WorkerClient extends Omit<RudderWorker, 'cancel' | 'dispose'> {
  cancel(): Promise<void>;
  /** Frees the model and stops the worker. */
  terminate(): void;
}

interface Live {
  readonly worker: Worker;
  readonly remote: Comlink.Remote<RudderWorker>;
  /** Rejects when the worker dies; every call races against it. */
  readonly died: Promise<never>;
}

export interface WorkerClientOptions {
  /** Told when the worker dies by itself (not on terminate): calls in flight reject with the same error. */
  readonly onDeath?: (error: WorkerCallError) => void;
}

export function createWorkerClient(opts: WorkerClientOptions = {}): WorkerClient {
  let live: Live | undefined;

  const start = (): Live => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'rudder-model',
    });
    let fail!: (e: WorkerCallError) => void;
    const died = new Promise<never>((_, reject) => {
      fail = reject;
    });
    died.catch(() => {}); // only calls in flight care
    const onDeath = (error: WorkerCallError) => {
      if (live?.worker !== worker) return;
      live = undefined;
      worker.terminate();
      fail(error);
      opts.onDeath?.(error);
    };
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      const lost = /device (was )?lost/i.test(e.message);
      onDeath(
        new WorkerCallError(
          lost ? 'device-lost' : 'worker-failed',
          lost
            ? `${e.message.replace(/^Uncaught (Error: )?/, '')}. The model has to be loaded again, on WebAssembly.`
            : `The model worker stopped (${e.message || 'it could not start'}). The model has to be loaded again; if this repeats, reload the page.`,
        ),
      );
    });
    worker.addEventListener('messageerror', () =>
      onDeath(
        new WorkerCallError('worker-failed', 'The model worker sent a message that could not be read.'),
      ),
    );
    return { worker, remote: Comlink.wrap<RudderWorker>(worker), died };
  };

  // Every method of the table, its callback (if any) proxied (load resolves relative URLs first),
  // raced against the worker's death, failures as WorkerCallError.
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, kind] of Object.entries(METHODS)) {
    methods[name] = async (...args: unknown[]) => {
      if (kind === 'callback' && typeof args.at(-1) === 'function')
        args[args.length - 1] = Comlink.proxy(args.at(-1) as (...a: unknown[]) => unknown);
      if (name === 'load') args[0] = resolveRequest(args[0] as LoadRequest);
      live ??= start();
      const remote = live.remote[name as keyof RudderWorker] as (...a: unknown[]) => Promise<unknown>;
      try {
        return await Promise.race([remote(...args), live.died]);
      } catch (e) {
        if (e instanceof WorkerCallError) throw e;
        if (isWorkerError(e)) throw new WorkerCallError(e.code, e.message);
        throw new WorkerCallError('internal', e instanceof Error ? e.message : String(e));
      }
    };
  }
  return {
    ...(methods as unknown as Omit<RudderWorker, 'cancel' | 'dispose'>),
    cancel: async () => {
      if (live) await methods.cancel!();
    },
    terminate: () => {
      const l = live;
      live = undefined;
      if (!l) return;
      void l.remote
        .dispose()
        .catch(() => {})
        .finally(() => {
          l.remote[Comlink.releaseProxy]();
          l.worker.terminate();
        });
    },
  };
}

/** Relative URLs mean the page's, not the worker script's. */
function resolveRequest(request: LoadRequest): LoadRequest {
  const m = request.model;
  const model: ModelRequest =
    m.kind === 'url' ? { ...m, url: new URL(m.url, document.baseURI).href, id: m.id ?? m.url } : m;
  return { ...request, model };
}
