/**
 * The model worker died (an uncaught error, the tab's memory) or its GPU device was lost: the page
 * says what happened, forgets the model it no longer has, and loads it again in a fresh worker
 * (on WebAssembly after a device loss, as the GPU may not come back), then re-runs the
 * continuations. The experiment (prompt, pairs, vectors, settings) is the store's and the link's,
 * so nothing of it is lost; vectors built from pairs are rebuilt from their recipes.
 */
import type { WorkerCallError } from '../../worker';
import { useStore } from '../store';
import { modelWorker, whenWorkerDies } from '../worker';
import { reloadModel } from './model';

const { setState } = useStore;

let recovering: Promise<void> | undefined;

export function watchWorker(): void {
  whenWorkerDies((error) => void recover(error));
}

async function recover(error: WorkerCallError): Promise<void> {
  if (recovering) return;
  const lost = error.code === 'device-lost';
  const what = lost ? 'The GPU device was lost' : 'The model worker stopped';
  setState((s) => ({
    current: undefined,
    ...(lost ? { backendPreference: 'wasm' as const } : {}),
    workerNote: `${what} (${error.message}). Rudder started it again${lost ? ' on WebAssembly' : ''} and is reloading the model; your experiment is unchanged.`,
    vector: { runId: s.vector.runId + 1, status: 'idle' },
  }));
  recovering = (async () => {
    modelWorker().terminate();
    const reloaded = await reloadModel();
    setState({
      workerNote: reloaded
        ? `${what}; the model was reloaded${lost ? ' on WebAssembly' : ''} and your experiment is unchanged.`
        : `${what}, and the model could not be loaded again (see Model). Your experiment is unchanged: Export keeps it in a file.`,
    });
  })().finally(() => {
    recovering = undefined;
  });
  await recovering;
}
