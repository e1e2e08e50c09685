/** The Web Worker's entry: the model lives here, so the page never blocks on tensor work. */
import * as Comlink from 'comlink';
import type { RudderWorker } from './api';
import { ModelHost } from './host';
import { WASM_PATHS } from './wasm-paths';

const host = new ModelHost({ wasmPaths: WASM_PATHS });

/** Callbacks arrive as Comlink proxies, each holding a MessagePort open until released. */
async function releasing<T>(callback: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    (callback as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy]?.();
  }
}

const api: RudderWorker = {
  load: (request, onProgress) => releasing(onProgress, () => host.load(request, onProgress)),
  generate: (request, onToken) => releasing(onToken, () => host.generate(request, onToken)),
  buildVector: (recipe, onProgress) => releasing(onProgress, () => host.buildVector(recipe, onProgress)),
  generateRows: (request, onToken) => releasing(onToken, () => host.generateRows(request, onToken)),
  lens: (request) => host.lens(request),
  vectorLens: (source, k) => host.vectorLens(source, k),
  exportVector: (source, format) => host.exportVector(source, format),
  importVector: (bytes, fileName) => host.importVector(bytes, fileName),
  headScores: (request) => host.headScores(request),
  attentionPattern: (request) => host.attentionPattern(request),
  refusalSets: () => host.refusalSets(),
  findRefusalDirection: (request, onProgress) =>
    releasing(onProgress, () => host.findRefusalDirection(request, onProgress)),
  refusalProfile: (request) => host.refusalProfile(request),
  refusalCircuit: (request, onProgress) =>
    releasing(onProgress, () => host.refusalCircuit(request, onProgress)),
  cancel: () => host.cancel(),
  dispose: () => host.dispose(),
};

Comlink.expose(api);
