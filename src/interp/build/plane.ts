/**
 * The steering plane of angular and selective steering (knoveleng/steering
 * `plane/constructor.py`, METHODS.md §6), read at the outputs of every pre-attention and pre-MLP
 * norm, and discriminative module selection as a separate step over the same activations.
 */
import { type HookName, hookName, type Model, RudderError } from '../../engine';
import { type CollectOptions, collectActivations } from '../activations';
import {
  centerColumns,
  cosine,
  dot,
  firstSingularVector,
  meanRows,
  orthonormalAgainst,
  type Rows,
  sub,
  unit,
} from '../linalg';
import type { PromptInput } from '../recipe';
import type { PlaneModule, SteeringPlane } from '../vector';
import { encodeInput } from './prompts';

export interface PlaneOptions extends Pick<CollectOptions, 'batchSize' | 'onProgress'> {
  /** The behaviour's side (e.g. harmful requests) and its contrast (harmless ones). */
  readonly positive: readonly PromptInput[];
  readonly negative: readonly PromptInput[];
  /** Keep only the modules where the two sides project onto b1 with opposite signs. */
  readonly discriminative?: boolean;
  readonly chat?: boolean;
}

/** Last-token activations of each module, for both sides. */
export interface ModuleActivations {
  readonly module: PlaneModule;
  readonly positive: Rows;
  readonly negative: Rows;
}

export async function buildPlane(model: Model, opts: PlaneOptions): Promise<SteeringPlane> {
  const acts = await planeActivations(model, opts);
  const { b1, b2 } = planeFromActivations(acts);
  const modules = opts.discriminative ? discriminativeModules(acts, b1) : acts.map((a) => a.module);
  return {
    modelId: model.id,
    width: model.spec.dModel,
    b1,
    b2,
    modules,
    recipe: {
      from: 'plane',
      model: model.id,
      positive: opts.positive.map(copy),
      negative: opts.negative.map(copy),
      discriminative: opts.discriminative ?? false,
    },
  };
}

export async function planeActivations(model: Model, opts: PlaneOptions): Promise<ModuleActivations[]> {
  if (!opts.positive.length || !opts.negative.length)
    throw new RudderError('no-prompts', 'A steering plane needs prompts on both sides.');
  const enc = { chat: opts.chat ?? false };
  const pos = opts.positive.map((p) => encodeInput(model, p, enc));
  const neg = opts.negative.map((p) => encodeInput(model, p, enc));
  const modules: PlaneModule[] = [];
  for (let layer = 0; layer < model.spec.nLayers; layer++)
    for (const point of ['ln1_normalized', 'ln2_normalized'] as const) modules.push({ layer, point });
  const hooks: HookName[] = modules.map((m) => hookName(m.point, m.layer));
  const acts = await collectActivations(model, [...pos, ...neg], hooks, { kind: 'last' }, opts);
  return modules.map((module, i) => {
    const rows = acts.get(hooks[i]!)!;
    return { module, positive: rows.slice(0, pos.length), negative: rows.slice(pos.length) };
  });
}

/**
 * d_m = unit(mean positive − mean negative) per module; b1 = the d_m with the highest mean cosine
 * to the others; b2 = the first principal component of the stacked d_m, made orthogonal to b1.
 */
export function planeFromActivations(acts: readonly ModuleActivations[]): {
  b1: Float32Array;
  b2: Float32Array;
} {
  const dirs = acts.map((a) => unit(sub(meanRows(a.positive), meanRows(a.negative))));
  let best = 0;
  let bestScore = -Infinity;
  dirs.forEach((d, i) => {
    const others = dirs.filter((_, j) => j !== i);
    const score = others.length ? others.reduce((s, o) => s + cosine(d, o), 0) / others.length : 0;
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  const b1 = dirs[best]!;
  let b2 = orthonormalAgainst(firstSingularVector(centerColumns(dirs)), b1);
  // With one module, or candidates all parallel, PCA gives nothing outside b1: any orthogonal
  // direction then spans the plane (the rotation is defined, just not data-informed).
  if (!b2.some((x) => x !== 0))
    b2 = orthonormalAgainst(
      Float32Array.from(b1, (_, i) => (i === 0 ? 1 : 0.5)),
      b1,
    );
  return { b1, b2 };
}

/** Modules where mean(x̂₊·b1) and mean(x̂₋·b1) have opposite signs (x̂ unit-normalised). */
export function discriminativeModules(acts: readonly ModuleActivations[], b1: Float32Array): PlaneModule[] {
  const meanProj = (rows: Rows) => rows.reduce((s, r) => s + dot(unit(r), b1), 0) / rows.length;
  return acts.filter((a) => meanProj(a.positive) * meanProj(a.negative) < 0).map((a) => a.module);
}

const copy = (p: PromptInput): PromptInput => (typeof p === 'string' ? p : [...p]);
