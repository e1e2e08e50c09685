/**
 * The steering loop's vector as the page shows it: built in the worker from the Experiment
 * whenever its pairs or where they are read change (debounced while the person types), never for a
 * strength change, with its per-layer scores (the layer strip) and the numbers the slider's range
 * comes from; its lens; and the vector as files, out and in. The generation does not wait for any
 * of this: the worker builds (or finds) the same vector for the steered run itself.
 */
import { STEERING_VECTOR, steeredPlan, type VectorSource } from '../../experiment';
import type { InlineVector, VectorFileFormat, VectorInfo } from '../../worker';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { PAIRS_DELAY_MS } from './generate';
import { errorOf, runJob } from './job';

const { getState, setState } = useStore;

/** Tokens listed each way by the vector's lens. */
export const LENS_TOKENS = 8;
/** Checked before reading a file into memory (the worker checks again). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

let timer: ReturnType<typeof setTimeout> | undefined;

/** The vector for the current pairs and model: built, or found built; undefined while there is none. */
export async function syncVector(): Promise<VectorInfo | undefined> {
  const { current: model, experiment, vector } = getState();
  if (!model) return undefined;
  let source: VectorSource | undefined;
  try {
    source = steeredPlan(experiment, { id: model.id, nLayers: model.spec.nLayers }).vectors[STEERING_VECTOR];
  } catch (e) {
    // The experiment does not fit this model (a layer it lacks): say so where the vector shows.
    setState({ vector: { runId: vector.runId + 1, status: 'error', error: errorOf(e) } });
    return undefined;
  }
  if (!source) {
    // Nothing to build: a build still running for older pairs is dropped.
    if (vector.status !== 'idle') setState({ vector: { runId: vector.runId + 1, status: 'idle' } });
    return undefined;
  }
  const request = JSON.stringify([model.id, source]);
  if (vector.key === request && vector.status === 'done') return vector.result;
  return runJob(['vector'], {
    request,
    call: ({ progress }) => modelWorker().buildVector({ experiment }, (p) => progress('vector', p)),
    results: (info) => ({ vector: info }),
  });
}

/** The pairs or where they are read changed: rebuild after a pause. */
export function scheduleVector(): void {
  clearTimeout(timer);
  timer = setTimeout(() => void syncVector(), PAIRS_DELAY_MS);
}

/** The lens of the vector just built (the panel asks whenever the vector's key changes). */
export function readVectorLens(): void {
  const { current: model, experiment, vector } = getState();
  if (!model || vector.status !== 'done' || !vector.result) return;
  void runJob(['vectorLens'], {
    request: vector.result.key,
    call: () => modelWorker().vectorLens({ experiment, k: LENS_TOKENS }),
    results: (lens) => ({ vectorLens: lens }),
  });
}

/** The rotate operator's plane for the current pairs (the layer strip asks when they change). */
export function readPlane(): void {
  const { current: model, experiment } = getState();
  const s = experiment.steering;
  if (!model || s.operator !== 'rotate') return;
  void runJob(['plane'], {
    request: JSON.stringify([model.id, s.pairs, s.discriminative]),
    call: () => modelWorker().steeringPlane({ experiment }),
    results: (plane) => ({ plane }),
  });
}

/** Downloads the vector as a file. */
export function exportVector(format: VectorFileFormat): Promise<unknown> {
  const { experiment } = getState();
  return runJob(['vectorFile'], {
    request: `export ${format}`,
    force: true,
    call: () => modelWorker().exportVector({ experiment, format }),
    results: (file) => {
      const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.mime }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return { vectorFile: file.fileName };
    },
  });
}

/**
 * Reads a vector file, checked against the model, for the experiment (the caller puts it in);
 * undefined when it does not fit, and the state says why.
 */
export async function importVector(file: File): Promise<InlineVector | undefined> {
  if (file.size > MAX_FILE_BYTES) {
    const message = `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; vector files over 16 MB are refused.`;
    setState((s) => ({
      vectorFile: {
        runId: s.vectorFile.runId + 1,
        status: 'error',
        error: { code: 'vector-too-large', message },
      },
    }));
    return undefined;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return runJob(['vectorFile'], {
    request: `import ${file.name}`,
    force: true,
    call: () => modelWorker().importVector(bytes, file.name),
    results: () => ({ vectorFile: file.name }),
  });
}
