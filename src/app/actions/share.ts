/**
 * Sharing: Copy link copies the address (the hash always holds the experiment: hash.ts); a link
 * opened, or pasted into this tab, restores its experiment, loads its model if it differs, and
 * generates (the worker rebuilds the vectors from their recipes). Export and import move the same Experiment through a JSON file.
 * A bad link or file leaves the page on the experiment it had (the default one on open) and
 * says what happened; its text is only ever shown as text.
 */
import { DEFAULT_MODEL, type Experiment, exportExperiment, importExperiment } from '../../experiment';
import { choiceLabel, type ModelChoice, modelChoice, modelSource, useStore } from '../store';
import { modelWorker } from '../worker';
import { generate } from './generate';
import { EXPERIMENT_FILE, experimentFromHash, isOwnHash, scheduleHashWrite, writeHash } from './hash';
import { errorOf } from './job';
import { loadModel } from './model';
import { askToLoad, needsAsking } from './model-ask';
import { forgetSaved } from './saved';
import { syncVector } from './vector';

const { getState, setState } = useStore;

/**
 * Copy link: the run's activation fingerprint goes into the experiment first (METHODS.md §16), so
 * whoever opens the link sees whether their run matches this one. Without a model (or when the
 * fingerprint cannot be read) the link is copied without it, as before.
 */
export async function copyLink(): Promise<void> {
  const { current, experiment } = getState();
  if (current) {
    try {
      const { fingerprint: _, ...rest } = experiment;
      const { field } = await modelWorker().fingerprint({ experiment: rest });
      // Only onto the experiment it was read from: an edit meanwhile keeps its own (none).
      if (getState().experiment === experiment)
        setState({ experiment: { ...experiment, fingerprint: field } });
    } catch {
      // The link still replays the experiment; it only cannot be verified.
    }
  }
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

/**
 * Makes `exp` the page's experiment: its model (if another), its vectors, its continuations. A
 * model from elsewhere is asked about first unless the experiment is the person's `own` (saved in
 * this browser, or named by `?model=`); declined, the current model (or the default) stays.
 */
export async function applyExperiment(exp: Experiment, { own = false } = {}): Promise<void> {
  setState((s) => ({
    experiment: exp,
    experimentError: undefined,
    replayCheck: undefined,
    // An Undo of a preset belongs to the experiment it was made in.
    presetUndo: undefined,
    vector: { runId: s.vector.runId + 1, status: 'idle' },
  }));
  scheduleHashWrite();
  noteVectorBeside(exp);
  const want = modelChoice(exp.model);
  const have = getState().currentChoice;
  if (want && (!have || JSON.stringify(have) !== JSON.stringify(want))) {
    if (own || !needsAsking(want) || (await askToLoad(want))) await loadModel(want);
    else await keepModel(want);
    if (getState().load.status === 'error') return;
  } else if (!want) {
    addUrlNote(
      `This experiment used a local model folder (${exp.model.kind === 'files' ? exp.model.label : ''}); choose that folder under Model to run it.`,
    );
  }
  if (!getState().current) return;
  void syncVector();
  await generate('both');
  if (exp.fingerprint) await checkReplay();
}

/** The author's fingerprint against this page's run: the banner says whether they match. */
async function checkReplay(): Promise<void> {
  const { experiment } = getState();
  if (!experiment.fingerprint) return;
  setState({ replayCheck: { status: 'running' } });
  try {
    const outcome = await modelWorker().fingerprint({ experiment });
    setState({ replayCheck: { status: 'done', outcome } });
  } catch (e) {
    setState({ replayCheck: { status: 'error', message: errorOf(e).message } });
  }
}

/** The person declined a link's model: say so, and run on the current model (or the default). */
async function keepModel(declined: ModelChoice): Promise<void> {
  const current = getState().currentChoice;
  addUrlNote(
    `${choiceLabel(declined)} was not loaded. The experiment runs on ${current ? choiceLabel(current) : 'the default model'} instead; choose it under Model to load it.`,
  );
  if (current) {
    // The author's fingerprint was read on their model: it says nothing about this one.
    setState((s) => ({
      experiment: { ...s.experiment, model: modelSource(current), fingerprint: undefined },
    }));
    return;
  }
  const def = getState().shipped.find((m) => m.name === DEFAULT_MODEL.name && m.available !== false);
  if (def) await loadModel({ kind: 'shipped', name: def.name });
}

/** A link that left its imported vector out (too large) says where the vector is. */
function noteVectorBeside(exp: Experiment): void {
  const beside = exp.steering.vectorBeside;
  if (!beside || exp.steering.vector) return;
  addUrlNote(
    `This link's imported vector${beside.name ? ` (${beside.name})` : ''} was too large for a link; it travels beside it, in the experiment file ${beside.file}. Import that file (under Share) to steer with it; until then the pairs' vector steers.`,
  );
}

function addUrlNote(note: string): void {
  setState((s) => ({ urlNotes: [...s.urlNotes, note] }));
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
  a.download = EXPERIMENT_FILE;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  setState({ shareNote: `Exported ${EXPERIMENT_FILE}.` });
}

/** Forgets the experiment saved in this browser; the page keeps it until the next edit saves again. */
export function forgetSavedWork(): void {
  forgetSaved();
  setState({
    saveNote: undefined,
    shareNote: 'Saved work forgotten: a reload opens the experiment in the link, or the default one.',
  });
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
