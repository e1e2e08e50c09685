/**
 * Opening the page: read the URL (parameters, then the experiment in the hash), list the shipped
 * models and load the first model: `?model=`, else the link's, else the default organism. A
 * link's experiment then generates; a link pasted into this tab later is applied the same way.
 * The experiment saved in this browser (saved.ts) comes back when the page opens with no link,
 * or with the very link it was saved under (a reload), where it is the fuller of the two.
 * A first visit (this browser never closed the tour: tour.ts) to the bare page, with nothing
 * saved and no model or lesson asked for, steers the first-visit example on load and shows the
 * tour, so the page shows what it does before any click.
 */
import { firstVisitExperiment, PRESETS } from '../../experiment';
import { readRoute } from '../lessons/route';
import { readParams } from '../params';
import { modelChoice, modelSource, useStore, withPrecision } from '../store';
import { tourSeen } from '../tour';
import { experimentFromHash } from './hash';
import { discoverAndNote, loadModel } from './model';
import { fetchPresetPairs } from './presets';
import { watchWorker } from './recover';
import { savedExperiment } from './saved';
import { applyExperiment, watchHash } from './share';

const RESTORED_NOTE =
  'Your last experiment was restored from this browser. Forget saved work (under Share) clears it.';

export async function startApp(search: string, hash = ''): Promise<void> {
  const params = readParams(search);
  useStore.setState({
    backendPreference: params.backend,
    wasmThreads: params.threads,
    hubEndpoint: params.hub,
    urlNotes: params.notes,
  });
  watchHash();
  watchWorker();
  const saved = savedExperiment(hash);
  const linked = saved && hash ? saved : await experimentFromHash(hash);
  if (linked) {
    // ?model= names which model; how it is held (16-bit weights) stays the link's.
    const model = params.model
      ? withPrecision(params.model, linked.model.precision)
      : modelChoice(linked.model);
    await discoverAndNote();
    // The person's own: saved in this browser, or the model named by the page's ?model=.
    const own = linked === saved || params.model !== undefined;
    return applyExperiment(model ? { ...linked, model: modelSource(model) } : linked, { own });
  }
  if (saved) useStore.setState({ experiment: saved, shareNote: RESTORED_NOTE });
  const def = await discoverAndNote();
  if (chosenMeanwhile()) return;
  const bare = !hash && !saved && !params.model && readRoute(search).kind === 'none';
  if (bare && !tourSeen()) {
    useStore.setState({ tourOpen: true });
    if (def?.available && (await showExample(def.name))) return;
  }
  const own = saved && modelChoice(saved.model);
  if (params.model) await loadModel(params.model);
  else if (own) await loadModel(own);
  else if (def?.available) await loadModel({ kind: 'shipped', name: def.name });
}

/** Steers the first-visit example on the organism (its link, in effect); false if its pairs are missing. */
async function showExample(organism: string): Promise<boolean> {
  const sentiment = PRESETS.find((p) => p.id === 'sentiment')!;
  const pairs = await fetchPresetPairs(sentiment, organism).catch(() => []);
  if (chosenMeanwhile()) return true;
  if (pairs.length === 0) return false;
  const example = firstVisitExperiment(pairs);
  await applyExperiment({ ...example, model: { kind: 'shipped', name: organism } }, { own: true });
  return true;
}

/**
 * Whether a model was asked for while the page was opening (the picker, a dropped folder): the
 * default must not be loaded then, as its load would cancel the person's.
 */
function chosenMeanwhile(): boolean {
  return useStore.getState().loadChoice !== undefined;
}
