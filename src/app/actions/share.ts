/**
 * Sharing: Copy link copies the address (the hash always holds the experiment: hash.ts); a link
 * opened, or pasted into this tab, restores its experiment, loads its model if it differs, and
 * generates (the worker rebuilds the vectors from their recipes). Export and import move the same Experiment through a JSON file.
 * A bad link or file leaves the page on the experiment it had (the default one on open) and
 * says what happened; its text is only ever shown as text.
 */
import { type Experiment, exportExperiment, importExperiment } from '../../experiment';
import { modelChoice, useStore } from '../store';
import { generate } from './generate';
import { experimentFromHash, isOwnHash, scheduleHashWrite, writeHash } from './hash';
import { errorOf } from './job';
import { loadModel } from './model';
import { syncVector } from './vector';

const { getState, setState } = useStore;

export async function copyLink(): Promise<void> {
  const link = await writeHash();
  if (!link) return;
  try {
    await navigator.clipboard.writeText(link);
    setState({ shareNote: 'Link copied. Whoever opens it sees this experiment and the same text.' });
  } catch {
    setState({
      shareNote: 'The browser did not allow copying: copy the address from the address bar instead.',
    });
  }
}

/** Makes `exp` the page's experiment: its model (if another), its vectors, its continuations. */
export async function applyExperiment(exp: Experiment): Promise<void> {
  setState((s) => ({
    experiment: exp,
    experimentError: undefined,
    vector: { runId: s.vector.runId + 1, status: 'idle' },
  }));
  scheduleHashWrite();
  const want = modelChoice(exp.model);
  const have = getState().currentChoice;
  if (want && (!have || JSON.stringify(have) !== JSON.stringify(want))) {
    await loadModel(want);
    if (getState().load.status === 'error') return;
  } else if (!want) {
    setState({
      urlNotes: [
        ...getState().urlNotes,
        `This experiment used a local model folder (${exp.model.kind === 'files' ? exp.model.label : ''}); choose that folder under Model to run it.`,
      ],
    });
  }
  if (!getState().current) return;
  void syncVector();
  await generate('both');
}

/** A link pasted into the address bar of this tab. */
export function watchHash(): void {
  window.addEventListener('hashchange', () => {
    const hash = window.location.hash.slice(1);
    if (isOwnHash(hash)) return;
    void experimentFromHash(hash).then((exp) => exp && applyExperiment(exp));
  });
}

export function exportFile(): void {
  const text = exportExperiment(getState().experiment);
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'rudder-experiment.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  setState({ shareNote: 'Exported rudder-experiment.json.' });
}

export async function importFile(file: File): Promise<void> {
  let exp: Experiment;
  try {
    exp = importExperiment(await file.text());
  } catch (e) {
    const error = errorOf(e);
    setState({
      experimentError: {
        ...error,
        message: `${error.message} The experiment on the page is unchanged.`,
        origin: 'file',
      },
    });
    return;
  }
  setState({ shareNote: `Imported ${file.name}.` });
  await applyExperiment(exp);
}
