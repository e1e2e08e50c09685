/**
 * The experiment kept in this browser (localStorage), so that a reload loses nothing: the pairs
 * typed, an imported vector, every setting. It is saved with each hash write, together with the
 * hash written then; on open, a link equal to that hash (or no link) restores the saved experiment,
 * which is the fuller one when the link had to leave a large vector out. A link from elsewhere
 * wins. A save that does not fit (over the cap, or the browser's quota) says so and keeps the
 * previous save.
 */

import { formatBytes } from '../../engine/bytes';
import { type Experiment, ExperimentSchema } from '../../experiment';

const KEY = 'rudder.experiment';
/** Well under the ~5 MB a browser allows an origin's localStorage; an experiment file is ≤ 4 MB. */
export const MAX_SAVED_CHARS = 2 * 1024 * 1024;

interface Saved {
  readonly hash: string;
  readonly experiment: unknown;
}

/** Saves `exp` with the hash the page wrote for it; returns why it could not, if it could not. */
export function saveExperiment(exp: Experiment, hash: string): string | undefined {
  const text = JSON.stringify({ hash, experiment: exp } satisfies Saved);
  if (text.length > MAX_SAVED_CHARS)
    return fullMessage(`${formatBytes(text.length)}; the limit is ${formatBytes(MAX_SAVED_CHARS)}`);
  try {
    localStorage.setItem(KEY, text);
    return undefined;
  } catch (e) {
    // QuotaExceededError (other sites' data on this origin), or storage turned off.
    return fullMessage(e instanceof Error ? e.message : String(e));
  }
}

/**
 * The saved experiment, if it belongs to this page's link: no link, or the very hash saved with
 * it. Anything unreadable counts as nothing saved.
 */
export function savedExperiment(linkHash: string): Experiment | undefined {
  let saved: Saved;
  try {
    const text = localStorage.getItem(KEY);
    if (!text) return undefined;
    saved = JSON.parse(text) as Saved;
  } catch {
    return undefined;
  }
  const link = linkHash.replace(/^#/, '');
  if (link !== '' && link !== saved.hash) return undefined;
  const checked = ExperimentSchema.safeParse(saved.experiment);
  return checked.success ? checked.data : undefined;
}

/** Forgets the saved experiment (the Share panel's "Forget saved work"). */
export function forgetSaved(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Storage turned off: there is nothing to forget.
  }
}

function fullMessage(why: string): string {
  return `This browser's storage for Rudder is full (${why}), so the latest edits are not saved for a reload. Use Export to keep them in a file, or Forget saved work and make the experiment smaller.`;
}
