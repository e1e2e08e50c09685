/**
 * The URL hash always holds the current experiment: written shortly after each edit, without
 * adding history entries, and saved in this browser with it (saved.ts). An imported vector too
 * large for a link is left out of it and travels beside it, in the exported file. A hash that does not decode becomes the page's experimentError, and the
 * page goes on with the experiment it had.
 */
import { decode, type Experiment, ExperimentError, encodeLink } from '../../experiment';
import { useStore } from '../store';
import { errorOf } from './job';
import { saveExperiment } from './saved';

const { getState, setState } = useStore;

const HASH_DELAY_MS = 250;
let hashTimer: ReturnType<typeof setTimeout> | undefined;
/** The hash this page wrote or read last (a hashchange to it is our own). */
let written = '';

export function scheduleHashWrite(): void {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => void writeHash(), HASH_DELAY_MS);
}

/**
 * Puts the experiment in the hash now and saves it in this browser; returns the full link, or
 * undefined when even the link without an imported vector is too large.
 */
export async function writeHash(): Promise<string | undefined> {
  clearTimeout(hashTimer);
  const { experiment } = getState();
  let hash: string;
  let beside = false;
  try {
    ({ hash, beside } = await encodeLink(experiment, EXPERIMENT_FILE));
  } catch (e) {
    // The hash stays as it was; the saved copy keyed by it is the experiment as it is now.
    setState({
      shareNote: errorOf(e).message,
      linkBeside: false,
      saveNote: saveExperiment(experiment, written),
    });
    return undefined;
  }
  written = hash;
  if (window.location.hash.slice(1) !== hash) {
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, '', `${pathname}${search}#${hash}`);
  }
  setState({ linkBeside: beside, saveNote: saveExperiment(experiment, hash) });
  return window.location.href;
}

/** Export's file name; a link that leaves its vector out names it as where the vector is. */
export const EXPERIMENT_FILE = 'rudder-experiment.json';

/** Whether a hash is the one this page wrote (or opened) last. */
export function isOwnHash(hash: string): boolean {
  return hash.replace(/^#/, '') === written;
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
