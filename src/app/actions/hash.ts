/**
 * The URL hash always holds the current experiment: written shortly after each edit, without
 * adding history entries. A hash that does not decode becomes the page's experimentError, and the
 * page goes on with the experiment it had.
 */
import { decode, type Experiment, ExperimentError, encode } from '../../experiment';
import { useStore } from '../store';
import { errorOf } from './job';

const { getState, setState } = useStore;

const HASH_DELAY_MS = 250;
let hashTimer: ReturnType<typeof setTimeout> | undefined;
/** The hash this page wrote or read last (a hashchange to it is our own). */
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
