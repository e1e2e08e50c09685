/**
 * Opening the page: read the URL (parameters, then the experiment in the hash), list the shipped
 * models and load the first model: `?model=`, else the link's, else the default organism. A
 * link's experiment then generates; a link pasted into this tab later is applied the same way.
 */
import { readParams } from '../params';
import { modelChoice, modelSource, useStore } from '../store';
import { experimentFromHash } from './hash';
import { discoverAndNote, loadModel } from './model';
import { applyExperiment, watchHash } from './share';

export async function startApp(search: string, hash = ''): Promise<void> {
  const params = readParams(search);
  useStore.setState({ backendPreference: params.backend, hubEndpoint: params.hub, urlNotes: params.notes });
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
