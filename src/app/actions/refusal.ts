/**
 * The refusal view's actions: run the worker's refusal jobs into the store's refusal slice, and
 * edit the Experiment to apply the classic interventions with the direction found. The direction
 * travels as a `{ from: 'refusal' }` recipe under `vectors.refusal` (its plane, for rotation, under
 * `planes.refusal`), and the intervention in `interventions`, so a link replays it.
 */
import type { Experiment } from '../../experiment';
import type { Intervention, RefusalFound, RefusalRecipe } from '../../worker';
import { type RudderState, useStore } from '../store';
import { toggleGate } from '../views/heads/gates';
import { modelWorker } from '../worker';
import { edit } from './experiment';
import { generate } from './generate';
import { runJob } from './job';

const { getState, setState } = useStore;

/** The names the direction and its plane have among the experiment's vectors and planes. */
export const REFUSAL = 'refusal';

export type RefusalOp = 'ablate' | 'add' | 'rotate';

/** The model's own sets, fetched once per model (the editor shows them). */
export async function loadOwnSets(): Promise<void> {
  const model = getState().current;
  if (!model || getState().refusalOwn?.modelId === model.id) return;
  try {
    const sets = await modelWorker().refusalSets();
    if (getState().current?.id === model.id) setState({ refusalOwn: { modelId: model.id, sets } });
  } catch {
    // The editor then starts empty; finding reports the problem in words.
  }
}

/** What the refusal view's jobs read of the experiment: its sets (and the model). */
function setsKey(state: Pick<RudderState, 'current' | 'experiment'>): string {
  return JSON.stringify([state.current?.id, state.experiment.refusal]);
}

/** METHODS.md §5 end to end, with progress; a newer run supersedes an older one. */
export function findDirection(): Promise<RefusalFound | undefined> {
  const { experiment } = getState();
  return runJob(['refusalFind'], {
    request: setsKey(getState()),
    force: true,
    call: ({ progress }) =>
      modelWorker().findRefusalDirection({ experiment }, (p) => progress('refusalFind', p)),
    results: (found) => ({ refusalFind: found }),
  });
}

/** The refusal circuit on the same sets, with progress. */
export async function findCircuit(): Promise<void> {
  const { experiment } = getState();
  await runJob(['refusalCircuit'], {
    request: setsKey(getState()),
    force: true,
    call: ({ progress }) =>
      modelWorker().refusalCircuit({ experiment }, (p) => progress('refusalCircuit', p)),
    results: (circuit) => ({ refusalCircuit: circuit }),
  });
}

/** The direction the view works with: the one in the experiment (a link), else the one just found. */
export function currentRecipe(
  state: Pick<RudderState, 'experiment' | 'refusalFind'>,
): RefusalRecipe | undefined {
  const v = state.experiment.vectors[REFUSAL];
  if (v?.from === 'refusal') return v;
  return state.refusalFind.result?.vector;
}

/** The profile of the current prompt along the direction. */
export async function refreshProfile(): Promise<void> {
  const state = getState();
  const recipe = currentRecipe(state);
  if (!state.current || !recipe || recipe.model !== state.current.id) return;
  const { experiment } = state;
  await runJob(['refusalProfile'], {
    request: JSON.stringify([state.current.id, experiment.prompt, recipe]),
    call: () => modelWorker().refusalProfile({ experiment, vector: recipe }),
    results: (profile) => ({ refusalProfile: profile }),
  });
}

const isOurs = (iv: Intervention) =>
  ('vector' in iv && iv.vector === REFUSAL) || (iv.kind === 'rotate' && iv.plane === REFUSAL);

/** Which of the classic interventions the experiment applies with the direction, if any. */
export function appliedOp(exp: Experiment): { op: RefusalOp; iv: Intervention } | undefined {
  const iv = exp.interventions.find(isOurs);
  if (!iv) return undefined;
  const op =
    iv.kind === 'ablate' ? 'ablate' : iv.kind === 'add' ? 'add' : iv.kind === 'rotate' ? 'rotate' : undefined;
  return op && { op, iv };
}

export interface ApplyOptions {
  /** add: c in resid_pre[l*] += c·r (§5: +1 induces refusal, −1 removes it). */
  readonly coefficient?: number;
  /** rotate: the angle in degrees (angular steering sets the in-plane angle to it). */
  readonly angle?: number;
}

/**
 * Applies one classic intervention with the direction (replacing any the view applied before), or
 * none (`op` undefined). Starts a generation when none ran yet, so its effect shows.
 */
export function applyOp(op: RefusalOp | undefined, opts: ApplyOptions = {}): void {
  const state = getState();
  const recipe = currentRecipe(state);
  if (op && !recipe) return;
  const found = state.refusalFind.result;
  edit((exp) => {
    const interventions = exp.interventions.filter((iv) => !isOurs(iv));
    const { [REFUSAL]: _v, ...vectors } = exp.vectors;
    const { [REFUSAL]: _p, ...planes } = exp.planes;
    if (!op || !recipe) return { ...exp, vectors, planes, interventions };
    let iv: Intervention;
    if (op === 'ablate') iv = { kind: 'ablate', vector: REFUSAL };
    else if (op === 'add')
      iv = { kind: 'add', vector: REFUSAL, coefficient: opts.coefficient ?? 1, layers: [recipe.layer] };
    else iv = { kind: 'rotate', plane: REFUSAL, mode: 'angular', angle: opts.angle ?? 180 };
    const plane = op === 'rotate' ? (exp.planes[REFUSAL] ?? found?.plane) : undefined;
    return {
      ...exp,
      vectors: { ...vectors, [REFUSAL]: recipe },
      planes: plane ? { ...planes, [REFUSAL]: plane } : planes,
      interventions: [...interventions, iv],
    };
  });
  if (!getState().live) void generate('both');
}

/** Clicking a head in the circuit graph gates it (zero), again restores it: the heads view's gate. */
export function toggleHead(layer: number, head: number): void {
  edit((exp) => toggleGate(exp, layer, head, 'zero'));
  if (!getState().live) void generate('both');
}

/** The editor's sets: undefined on a side means the model's own. */
export function setSets(sets: Experiment['refusal']): void {
  edit((exp) => ({ ...exp, refusal: sets }));
}
