/** Loading a model (the previous one stays current until the new one is on the device), stopping, letting go. */
import { CancelledError, loadModel, parameterCount, readEstimate } from '../../engine';
import type { LoadEvent, LoadProgress, ModelMethods } from '../api';
import { sourceFor } from '../sources';
import type { HostContext } from './context';

/** Progress messages per file are thinned to this interval (the last one always goes). */
const PROGRESS_INTERVAL_MS = 50;

export function modelMethods(ctx: HostContext): ModelMethods {
  return {
    load: (request, onEvent) =>
      ctx.slots.load.run(async (signal) => {
        const started = performance.now();
        const backend = await ctx.ensureBackend(request);
        const source = sourceFor(request.model);
        const { limits } = backend.choice;
        const model = await loadModel(source, {
          limits,
          signal,
          ...(request.precision ? { precision: request.precision } : {}),
          onProgress: onEvent && thinned(onEvent),
          onEstimate: (memory, spec) =>
            void onEvent?.({
              kind: 'estimate',
              estimate: {
                parameters: parameterCount(spec),
                weightBytes: memory.weightBytes,
                halfMatrices: memory.halfMatrices,
                totalBytes: memory.totalBytes,
                contextTokens: memory.contextTokens,
                backend: backend.info.name,
                maxTotalBytes: limits.maxTotalBytes,
              },
            }),
        });
        if (signal.aborted) {
          model.dispose();
          throw new CancelledError();
        }
        return ctx.adopt(model, source, backend.info, started);
      }),
    estimate: async (request) => {
      // Whether rounded matrices take 2 bytes depends on the backend, which is chosen once for the
      // worker's life: start it now (the load that follows would), so that a 16-bit link's
      // question gives the figure it will load with.
      if (request.precision) await ctx.ensureBackend(request);
      const source = sourceFor(request.model);
      const e = await readEstimate(source, request.precision ? { precision: request.precision } : {});
      return {
        id: source.id,
        parameters: e.parameters,
        downloadBytes: e.downloadBytes,
        memoryBytes: e.memory.totalBytes,
        halfMatrices: e.memory.halfMatrices,
      };
    },
    cancel: () => ctx.slots.generation.abort(),
    dispose: () => ctx.dispose(),
  };
}

/** Forwards at most one progress event per file per interval, and always the first and last. */
function thinned(onEvent: (e: LoadEvent) => void): (p: Omit<LoadProgress, 'kind'>) => void {
  const last = new Map<string, number>();
  return (p) => {
    const now = performance.now();
    const done = p.total !== undefined && p.loaded >= p.total;
    const prev = last.get(p.file);
    if (prev !== undefined && !done && now - prev < PROGRESS_INTERVAL_MS) return;
    last.set(p.file, now);
    // Not awaited: progress must not wait for a round trip to the page.
    void onEvent({ kind: 'file', file: p.file, loaded: p.loaded, total: p.total });
  };
}
