/**
 * A link (or a pasted link, or an imported file) that names a model from elsewhere, a Hub repo or
 * another site's URL, does not start that download by itself: the page asks first, with the
 * model's id and what it would download (read from its config.json and index by the worker), and
 * loads it only on Load. The shipped organisms and models on the page's own site load unasked.
 */
import type { ModelCost } from '../../worker';
import { type ModelChoice, useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './job';
import { loadRequestFor } from './model';

const { getState, setState } = useStore;

/** The question on screen: which model, and its cost once known. */
export interface ModelAsk {
  readonly choice: ModelChoice;
  readonly cost?: ModelCost;
  /** Why the size could not be read (the model may still load; the person decides). */
  readonly costProblem?: string;
}

let answer: ((load: boolean) => void) | undefined;

/** Whether loading `choice` from a link must be asked: a Hub repo or another site's URL. */
export function needsAsking(choice: ModelChoice): boolean {
  if (choice.kind === 'hub') return true;
  if (choice.kind !== 'url') return false;
  return new URL(choice.url, document.baseURI).origin !== window.location.origin;
}

/** Shows the question and resolves with the person's answer (a newer question answers no). */
export function askToLoad(choice: ModelChoice): Promise<boolean> {
  answer?.(false);
  const asked = new Promise<boolean>((resolve) => {
    answer = resolve;
  });
  setState({ modelAsk: { choice } });
  const stillAsked = () => getState().modelAsk?.choice === choice;
  modelWorker()
    .estimate(loadRequestFor(choice))
    .then(
      (cost) => stillAsked() && setState({ modelAsk: { choice, cost } }),
      (e) => stillAsked() && setState({ modelAsk: { choice, costProblem: errorOf(e).message } }),
    );
  return asked;
}

export function answerModelAsk(load: boolean): void {
  const resolve = answer;
  answer = undefined;
  setState({ modelAsk: undefined });
  resolve?.(load);
}
