/**
 * Loading models: on open (URL parameter, else the default shipped organism) and on request
 * (picker, Hub id, dropped folder). The previous model stays current until the new one is
 * ready; a failure leaves it in place and shows why.
 */
import type { WeightPrecision } from '../../engine';
import type { LoadEvent, LoadRequest, ModelRequest } from '../../worker';
import { hubTokenFor, writeHubToken } from '../hub-token';
import { discoverShipped, MODELS_BASE } from '../shipped';
import {
  choiceLabel,
  type LoadShown,
  type ModelChoice,
  modelSource,
  type ShippedModel,
  useStore,
  withPrecision,
} from '../store';
import { modelWorker } from '../worker';
import { generate } from './generate';
import { scheduleHashWrite } from './hash';
import { runJob } from './job';
import { syncVector } from './vector';

const { getState, setState } = useStore;

/** Lists the shipped models; says so when the default one is not built. */
export async function discoverAndNote(): Promise<ShippedModel | undefined> {
  const shipped = await discoverShipped();
  const def = shipped.models.find((m) => m.name === shipped.defaultName);
  const notes = shipped.problem ? [shipped.problem] : [];
  if (!def?.available) {
    notes.push(
      `The default model, models/${shipped.defaultName}, is not in this build yet (the organisms are trained separately). ` +
        'Load a model from the Hugging Face Hub or choose a local model folder.',
    );
  }
  setState({ shipped: shipped.models, shippedNote: notes.length ? notes.join(' ') : undefined });
  return def;
}

/** Hides a failed load's message (the model in use was never touched by it). */
export function dismissLoadError(): void {
  setState((s) => (s.load.status === 'error' ? { load: { runId: s.load.runId, status: 'idle' } } : {}));
}

/** Files of a chosen or dropped folder, with their paths inside it. */
export interface FolderFiles {
  readonly files: readonly File[];
  readonly paths: readonly string[];
}

/** The folder of the model in use, if it came from one: a restarted worker reads it again. */
let currentFolder: FolderFiles | undefined;
/** The folder of the load asked for last (choosePrecision may ask for it again). */
let requestedFolder: FolderFiles | undefined;

export async function loadModel(choice: ModelChoice, folder?: FolderFiles): Promise<void> {
  requestedFolder = folder;
  setState({ loadChoice: choice });
  const loaded = await runJob(['load'], {
    // The choice, never the request: that may carry the access token.
    request: JSON.stringify(choice),
    // Each load is asked for on purpose (the picker, a link): never skipped as a repeat.
    force: true,
    call: ({ progress }) =>
      modelWorker().load(loadRequestFor(choice, folder), (e) =>
        progress('load', withEvent(getState().load.progress ?? { files: {} }, e)),
      ),
    results: (model) => ({ load: model }),
  });
  if (!loaded) return;
  currentFolder = folder;
  setState((s) => {
    const model = modelSource(choice);
    // A link's fingerprint was read on the link's model; on another one it says nothing.
    const same = JSON.stringify(model) === JSON.stringify(s.experiment.model);
    const { fingerprint, ...rest } = s.experiment;
    return {
      current: loaded,
      currentChoice: choice,
      precision: choice.precision,
      shippedNote: undefined,
      experiment: { ...rest, model, ...(same && fingerprint ? { fingerprint } : {}) },
      // The worker dropped the old model's vectors; the pairs are read again on this one.
      vector: { runId: s.vector.runId + 1, status: 'idle' },
    };
  });
  scheduleHashWrite();
  void syncVector();
  if (getState().live) void generate('both');
}

/** Keeps the Hub access token for this tab (sessionStorage) and for the next Hub load. */
export function setHubToken(token: string): void {
  writeHubToken(token);
  setState({ hubToken: token });
}

function withEvent(shown: LoadShown, e: LoadEvent): LoadShown {
  if (e.kind === 'estimate') return { ...shown, estimate: e.estimate };
  return { ...shown, files: { ...shown.files, [e.file]: { loaded: e.loaded, total: e.total } } };
}

/** Loads the model in use again (into a fresh worker); whether it is current afterwards. */
export async function reloadModel(): Promise<boolean> {
  const choice = getState().currentChoice;
  if (!choice) return false;
  await loadModel(choice, currentFolder);
  return getState().current !== undefined;
}

/**
 * The picker's "16-bit weights": kept for the next load, and the model asked for last loaded again
 * that way: the one loading, or the one that failed (a model refused for its size is told to try
 * 16-bit weights), else the one in use, which stays usable until the new load is ready.
 */
export async function choosePrecision(precision: WeightPrecision | undefined): Promise<void> {
  setState({ precision });
  const { load, loadChoice, currentChoice } = getState();
  const pending = load.status === 'running' || load.status === 'error';
  const choice = pending ? loadChoice : currentChoice;
  if (choice && choice.precision !== precision)
    await loadModel(withPrecision(choice, precision), pending ? requestedFolder : currentFolder);
}

export function loadFolder(folder: FolderFiles): Promise<void> {
  const root = folder.paths[0]?.split('/')[0];
  const label =
    root && folder.paths[0]!.includes('/') ? `folder ${root}` : `${folder.files.length} dropped files`;
  return loadModel(withPrecision({ kind: 'files', label }, getState().precision), folder);
}

/** What the worker is asked to load for `choice`: where from, on which backend, at what precision. */
export function loadRequestFor(choice: ModelChoice, folder?: FolderFiles): LoadRequest {
  const { backendPreference, wasmThreads } = getState();
  return {
    model: requestFor(choice, folder),
    backend: backendPreference,
    threads: wasmThreads,
    ...(choice.precision ? { precision: choice.precision } : {}),
  };
}

function requestFor(choice: ModelChoice, folder?: FolderFiles): ModelRequest {
  switch (choice.kind) {
    case 'shipped': {
      const version = getState().shipped.find((m) => m.name === choice.name)?.version;
      return { kind: 'url', url: `${MODELS_BASE}${choice.name}`, ...(version ? { version } : {}) };
    }
    case 'url':
      return { kind: 'url', url: choice.url };
    case 'hub': {
      const { hubEndpoint: endpoint, hubToken } = getState();
      const token = hubTokenFor(hubToken, endpoint);
      return {
        kind: 'hub',
        repo: choice.repo,
        ...(choice.revision ? { revision: choice.revision } : {}),
        ...(endpoint ? { endpoint } : {}),
        ...(token ? { token } : {}),
      };
    }
    case 'files':
      if (!folder) throw new Error(`No files for ${choiceLabel(choice)}`);
      return { kind: 'files', files: folder.files, paths: folder.paths };
  }
}
