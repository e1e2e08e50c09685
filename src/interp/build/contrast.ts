/**
 * Vectors from contrast pairs (CAA, repeng, steering-vectors): run every positive and negative
 * prompt in left-padded batches, read one position at the chosen hook of each layer (the pair's
 * "rows"), and reduce the paired rows to one direction per layer.
 *
 * The two steps are separate so that a caller can keep the rows (the worker does, per pair set):
 * choosing another layer or method is then a host reduction, not a forward pass, and the same rows
 * give every layer's separation score (the layer strip).
 */
import { hookName, type Model, RudderError } from '../../engine';
import { type CollectOptions, collectActivations } from '../activations';
import { cosine, mean, norm, sub } from '../linalg';
import type { ContrastPair, VectorRecipe } from '../recipe';
import type { SteeringVector } from '../vector';
import { aggregate } from './aggregators';
import { encodeInput } from './prompts';

export type ContrastRecipe = Extract<VectorRecipe, { from: 'contrast' }>;

/** What is read from the pairs: everything of a contrast recipe but the layers and the method. */
export type ContrastReading = Pick<ContrastRecipe, 'pairs' | 'hook' | 'position' | 'chat'>;

export interface ContrastRows {
  /** Pairs read. */
  readonly n: number;
  /** Per layer read: the n positive rows, then the n negative rows. */
  readonly byLayer: ReadonlyMap<number, readonly Float32Array[]>;
}

/**
 * Reads the pairs' rows at `layers` (default every layer of the model), 16 prompts a pass: the
 * positives first, then the negatives.
 */
export async function contrastRows(
  model: Model,
  reading: ContrastReading,
  opts: Pick<CollectOptions, 'batchSize' | 'onProgress' | 'signal'> & {
    readonly layers?: readonly number[];
  } = {},
): Promise<ContrastRows> {
  if (reading.pairs.length === 0)
    throw new RudderError('no-pairs', 'Building a vector needs at least one pair.');
  if (reading.position.kind === 'all')
    throw new RudderError(
      'bad-position',
      'A contrast vector reads one position per prompt (last, an index or the mean); for every position use ActAdd.',
    );
  const layers = opts.layers ?? [...Array(model.spec.nLayers).keys()];
  for (const l of layers) checkLayer(model, l);
  const enc = { chat: reading.chat ?? false };
  const prompts = [
    ...reading.pairs.map((p) => encodeInput(model, p.positive, enc)),
    ...reading.pairs.map((p) => encodeInput(model, p.negative, enc)),
  ];
  const hooks = layers.map((l) => hookName(reading.hook, l));
  const acts = await collectActivations(model, prompts, hooks, reading.position, {
    batchSize: opts.batchSize ?? 16,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { n: reading.pairs.length, byLayer: new Map(layers.map((l, i) => [l, acts.get(hooks[i]!)!])) };
}

/** The recipe's vector from rows read for its pairs: its method at each of its layers. */
export function vectorFromRows(model: Model, recipe: ContrastRecipe, rows: ContrastRows): SteeringVector {
  const layers: Record<number, Float32Array> = {};
  for (const l of recipe.layers) {
    const all = rows.byLayer.get(checkLayer(model, l));
    if (!all) throw new RudderError('bad-layer', `Layer ${l} was not read for these pairs.`);
    layers[l] = aggregate(recipe.method, all.slice(0, rows.n), all.slice(rows.n));
  }
  const width = layers[recipe.layers[0]!]!.length;
  return {
    modelId: model.id,
    hook: recipe.hook,
    width,
    rows: 1,
    layers,
    recipe: { ...recipe, model: model.id },
  };
}

/** What the layer strip shows for one layer, from the pairs' rows there. */
export interface LayerStat {
  readonly layer: number;
  /**
   * How consistently the pairs differ in one direction: the mean cosine between each pair's
   * difference and the mean difference of the others (leave-one-out, so one pair cannot agree
   * with itself); 1 when all agree, about 0 for noise. Null with a single pair.
   */
  readonly separation: number | null;
  /** Mean norm of the activations read (at the recipe's hook and position). */
  readonly residualNorm: number;
  /** Norm of the mean difference (the CAA vector) at this layer. */
  readonly meanDiffNorm: number;
}

/** Every read layer's separation, residual norm and mean-difference norm, in layer order. */
export function layerStats(rows: ContrastRows): LayerStat[] {
  return [...rows.byLayer.entries()]
    .sort(([a], [b]) => a - b)
    .map(([layer, r]) => layerStat(layer, r, rows.n));
}

function layerStat(layer: number, rows: readonly Float32Array[], n: number): LayerStat {
  const width = rows[0]?.length ?? 0;
  const diffs = Array.from({ length: n }, (_, i) => sub(rows[i]!, rows[n + i]!));
  const total = new Float32Array(width);
  for (const d of diffs) for (let j = 0; j < width; j++) total[j]! += d[j]!;
  const loo = diffs.map((d) => cosine(d, sub(total, d)));
  return {
    layer,
    separation: n > 1 ? mean(loo) : null,
    residualNorm: mean(rows.map((r) => norm(r))),
    meanDiffNorm: norm(total) / Math.max(1, n),
  };
}

export interface ContrastOptions extends Pick<CollectOptions, 'batchSize' | 'onProgress'> {
  readonly pairs: readonly ContrastPair[];
  readonly hook: ContrastRecipe['hook'];
  /** Layers to read; 'all' for every layer (repeng's default reads all but the first). */
  readonly layers: readonly number[] | 'all';
  readonly position: ContrastRecipe['position'];
  readonly method: ContrastRecipe['method'];
  readonly chat?: boolean;
}

/** Reads the pairs at the chosen layers and reduces them: the vector and the recipe that rebuilds it. */
export async function buildContrastVector(model: Model, opts: ContrastOptions): Promise<SteeringVector> {
  const layers = opts.layers === 'all' ? [...Array(model.spec.nLayers).keys()] : [...opts.layers];
  const recipe: ContrastRecipe = {
    from: 'contrast',
    model: model.id,
    pairs: opts.pairs.map((p) => ({ positive: copy(p.positive), negative: copy(p.negative) })),
    hook: opts.hook,
    layers,
    position: opts.position,
    method: opts.method,
    ...(opts.chat ? { chat: true } : {}),
  };
  const rows = await contrastRows(model, recipe, {
    layers,
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return vectorFromRows(model, recipe, rows);
}

function checkLayer(model: Model, l: number): number {
  if (!Number.isInteger(l) || l < 0 || l >= model.spec.nLayers)
    throw new RudderError(
      'bad-layer',
      `Layer ${l} does not exist (the model has 0..${model.spec.nLayers - 1}).`,
    );
  return l;
}

const copy = <T extends string | number[]>(x: T): T => (typeof x === 'string' ? x : ([...x] as T));
