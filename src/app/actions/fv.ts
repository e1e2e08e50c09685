/**
 * The function vectors view's actions (METHODS.md §13): the model's few-shot tasks, the job that
 * finds the heads and the FV for the view's task, k and layer (run whenever those or the model
 * change, with progress; Stop ends it), and "Steer with this FV": the FV as the steering loop's
 * inline vector, added at the prompt's last position at its layer, on a held-out zero-shot query.
 */
import { type FunctionVectorViewSettings, float16ToBase64, type InlineVector } from '../../experiment';
import type { FunctionVectorOutcome } from '../../worker';
import { type RudderState, useStore } from '../store';
import { modelWorker } from '../worker';
import { edit } from './experiment';
import { generate } from './generate';
import { runJob } from './job';

const { getState } = useStore;

/** Set by Stop: the cancellation the person asked for. */
let stopped = false;

/** The model's tasks, asked once per model. */
export function readFvTasks(): void {
  const model = getState().current;
  if (!model) return;
  void runJob(['fvTasks'], {
    request: model.id,
    call: () => modelWorker().functionVectorTasks(),
    results: (tasks) => ({ fvTasks: tasks }),
  });
}

/** What the job answers: the model and the view's settings (undefined while no task is picked). */
export function fvRequest(
  state: Pick<RudderState, 'current' | 'experiment'> = getState(),
): string | undefined {
  const { current: model, experiment } = state;
  if (!model || !experiment.view.fv.task) return undefined;
  return JSON.stringify([model.id, experiment.view.fv]);
}

/** Runs the job for the view's settings (nothing when it already answers them). */
export function runFunctionVector(force = false): void {
  const request = fvRequest();
  if (!request) return;
  const { experiment } = getState();
  stopped = false;
  void runJob(['fv'], {
    request,
    force,
    stopped: () => stopped,
    call: ({ progress }) => modelWorker().functionVector({ experiment }, (p) => progress('fv', p)),
    results: (fv) => ({ fv }),
  });
}

export function stopFunctionVector(): void {
  stopped = true;
  void modelWorker().stopFunctionVector();
}

export function editFvView(patch: Partial<FunctionVectorViewSettings>): void {
  edit((e) => ({ ...e, view: { ...e.view, fv: { ...e.view.fv, ...patch } } }));
}

/** The FV as an inline vector at its layer's resid_post (float16, as a link carries it). */
export function fvInlineVector(r: FunctionVectorOutcome): InlineVector {
  return {
    from: 'inline',
    origin: 'function-vector',
    hook: 'resid_post',
    width: r.fv.length,
    layers: { [String(r.layer)]: float16ToBase64(r.fv) },
    name: `function vector: ${r.task}`,
    model: r.modelId,
  };
}

/** The held-out query to show it on: the first the FV turns right, else the first. */
export function steerExample(r: FunctionVectorOutcome): FunctionVectorOutcome['items'][number] | undefined {
  return r.items.find((it) => !it.zeroShot && it.zeroShotFv) ?? r.items[0];
}

/**
 * Puts the FV in the steering controls: added once (coefficient 1) at the prompt's last position of
 * its layer, on the prompt pass only, as §13 applies it; the prompt becomes a held-out zero-shot
 * query and generation greedy, so the two outputs show the query without and with the task.
 */
export function steerWithFunctionVector(): void {
  const r = getState().fv.result;
  if (!r) return;
  const example = steerExample(r);
  edit((e) => ({
    ...e,
    prompt: example ? { text: example.prompt, chat: false } : e.prompt,
    generation: { ...e.generation, temperature: 0 },
    steering: {
      ...e.steering,
      vector: fvInlineVector(r),
      layers: [r.layer],
      operator: 'add',
      coefficient: 1,
      positions: { kind: 'prompt-last' },
      normalize: false,
      ablateFirst: false,
    },
  }));
  void generate('both');
}
