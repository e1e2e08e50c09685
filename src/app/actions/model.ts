/**
 * Loading models: on open (URL parameter, else the default shipped organism) and on request
 * (picker, Hub id, dropped folder). The previous model stays current until the new one is
 * ready; a failure leaves it in place and shows why.
 */
import type { ModelRequest } from '../../worker';
import { readParams } from '../params';
import { discoverShipped, MODELS_BASE } from '../shipped';
import { choiceLabel, type ModelChoice, useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './errors';

const { getState, setState } = useStore;

/** Reads the URL, lists the shipped models and loads the first model. */
export async function startApp(search: string): Promise<void> {
  const params = readParams(search);
  setState({ backendPreference: params.backend, hubEndpoint: params.hub, urlNotes: params.notes });
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
  if (params.model) await loadModel(params.model);
  else if (def?.available) await loadModel({ kind: 'shipped', name: def.name });
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
    setState({ current: loaded, currentChoice: choice, loading: undefined, shippedNote: undefined });
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
    case 'shipped':
      return { kind: 'url', url: `${MODELS_BASE}${choice.name}` };
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
