/**
 * Loading models: on open (URL parameter, else the default shipped organism) and on request
 * (picker, Hub id, dropped folder). The previous model stays current until the new one is
 * ready; a failure leaves it in place and shows why.
 */
import type { ModelRequest } from '../../worker';
import { readParams } from '../params';
import { discoverShipped, MODELS_BASE } from '../shipped';
import { choiceLabel, type ModelChoice, type ShippedModel, useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './errors';
import { generate } from './generate';
import {
  applyExperiment,
  experimentFromHash,
  modelChoice,
  modelSource,
  scheduleHashWrite,
  watchHash,
} from './share';
import { syncVector } from './steer';

const { getState, setState } = useStore;

/**
 * Reads the URL (parameters, then the experiment in the hash), lists the shipped models and
 * loads the first model: `?model=`, else the link's, else the default organism. A link's
 * experiment then rebuilds its vectors and generates.
 */
export async function startApp(search: string, hash = ''): Promise<void> {
  const params = readParams(search);
  setState({ backendPreference: params.backend, hubEndpoint: params.hub, urlNotes: params.notes });
  watchHash();
  const linked = await experimentFromHash(hash);
  if (linked) {
    const model = params.model ?? modelChoice(linked.model);
    await discoverAndNote();
    return applyExperiment(model ? { ...linked, model: modelSource(model) } : linked);
  }
  const def = await discoverAndNote();
  if (params.model) await loadModel(params.model);
  else if (def?.available) await loadModel({ kind: 'shipped', name: def.name });
}

/** Lists the shipped models; says so when the default one is not built. */
async function discoverAndNote(): Promise<ShippedModel | undefined> {
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

/** Files of a chosen or dropped folder, with their paths inside it. */
export interface FolderFiles {
  readonly files: readonly File[];
  readonly paths: readonly string[];
}

export async function loadModel(choice: ModelChoice, folder?: FolderFiles): Promise<void> {
  const request = requestFor(choice, folder);
  setState({ loading: { choice, files: {} }, loadError: undefined });
  const stillLoading = () => getState().loading?.choice === choice;
  try {
    const loaded = await modelWorker().load(
      { model: request, backend: getState().backendPreference },
      (p) => {
        if (!stillLoading()) return;
        setState((s) => ({
          loading: s.loading && {
            ...s.loading,
            files: { ...s.loading.files, [p.file]: { loaded: p.loaded, total: p.total } },
          },
        }));
      },
    );
    if (!stillLoading()) return;
    setState((s) => ({
      current: loaded,
      currentChoice: choice,
      loading: undefined,
      shippedNote: undefined,
      experiment: { ...s.experiment, model: modelSource(choice) },
      // The worker dropped the old model's vectors; the pairs are read again on this one.
      vector: { status: 'none' },
    }));
    scheduleHashWrite();
    if (getState().live) void generate('both');
    else void syncVector();
  } catch (e) {
    const error = errorOf(e);
    // A newer load took over; its own outcome is what the person sees.
    if (error.code === 'cancelled' || !stillLoading()) return;
    setState({ loading: undefined, loadError: { ...error, choice } });
  }
}

export function loadFolder(folder: FolderFiles): Promise<void> {
  const root = folder.paths[0]?.split('/')[0];
  const label =
    root && folder.paths[0]!.includes('/') ? `folder ${root}` : `${folder.files.length} dropped files`;
  return loadModel({ kind: 'files', label }, folder);
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
      const endpoint = getState().hubEndpoint;
      return {
        kind: 'hub',
        repo: choice.repo,
        ...(choice.revision ? { revision: choice.revision } : {}),
        ...(endpoint ? { endpoint } : {}),
      };
    }
    case 'files':
      if (!folder) throw new Error(`No files for ${choiceLabel(choice)}`);
      return { kind: 'files', files: folder.files, paths: folder.paths };
  }
}
