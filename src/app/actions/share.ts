/**
 * Sharing: the URL hash always holds the current experiment (written shortly after each edit,
 * without adding history entries); Copy link copies the address; a link opened, or pasted into
 * this tab, restores its experiment, loads its model if it differs, rebuilds the vectors from
 * their recipes and generates. Export and import move the same Experiment through a JSON file.
 * A bad link or file leaves the page on the experiment it had (the default one on open) and
 * says what happened; its text is only ever shown as text.
 */
import {
  decode,
  type Experiment,
  ExperimentError,
  encode,
  exportExperiment,
  importExperiment,
  type ModelSource,
} from '../../experiment';
import { choiceLabel, type ModelChoice, useStore } from '../store';
import { errorOf } from './errors';
import { generate } from './generate';
import { loadModel } from './model';
import { syncVector } from './steer';

const { getState, setState } = useStore;

const HASH_DELAY_MS = 250;
let hashTimer: ReturnType<typeof setTimeout> | undefined;
/** The hash this page wrote last (a hashchange to it is our own). */
let written = '';

export function scheduleHashWrite(): void {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => void writeHash(), HASH_DELAY_MS);
}

/** Puts the experiment in the hash now; returns the full link, or undefined when it is too large. */
export async function writeHash(): Promise<string | undefined> {
  clearTimeout(hashTimer);
  try {
    const hash = await encode(getState().experiment);
    written = hash;
    if (window.location.hash.slice(1) !== hash) {
      const { pathname, search } = window.location;
      window.history.replaceState(window.history.state, '', `${pathname}${search}#${hash}`);
    }
    return window.location.href;
  } catch (e) {
    setState({ shareNote: errorOf(e).message });
    return undefined;
  }
}

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

/** Reads the experiment from a hash; a bad one becomes the page's experimentError. */
export async function experimentFromHash(hash: string): Promise<Experiment | undefined> {
  try {
    const exp = await decode(hash);
    if (exp) written = hash.replace(/^#/, '');
    return exp;
  } catch (e) {
    const error = e instanceof ExperimentError ? { code: e.code, message: e.message } : errorOf(e);
    setState({
      experimentError: {
        ...error,
        message: `${error.message} The page opened with the default experiment instead.`,
        origin: 'link',
      },
    });
    return undefined;
  }
}

/** Makes `exp` the page's experiment: its model (if another), its vectors, its continuations. */
export async function applyExperiment(exp: Experiment): Promise<void> {
  setState({ experiment: exp, experimentError: undefined, vector: { status: 'none' } });
  scheduleHashWrite();
  const want = modelChoice(exp.model);
  const have = getState().currentChoice;
  if (want && (!have || JSON.stringify(have) !== JSON.stringify(want))) {
    await loadModel(want);
    if (getState().loadError) return;
  } else if (!want) {
    setState({
      urlNotes: [
        ...getState().urlNotes,
        `This experiment used a local model folder (${exp.model.kind === 'files' ? exp.model.label : ''}); choose that folder under Model to run it.`,
      ],
    });
  }
  if (!getState().current) return;
  await syncVector();
  await generate('both');
}

export function modelChoice(source: ModelSource): ModelChoice | undefined {
  return source.kind === 'files' ? undefined : source;
}

export function modelSource(choice: ModelChoice): ModelSource {
  return choice.kind === 'files' ? { kind: 'files', label: choiceLabel(choice) } : choice;
}

/** A link pasted into the address bar of this tab. */
export function watchHash(): void {
  window.addEventListener('hashchange', () => {
    const hash = window.location.hash.slice(1);
    if (hash === written) return;
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
