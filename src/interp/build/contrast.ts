/**
 * Vectors from contrast pairs (CAA, repeng, steering-vectors): run every positive and negative
 * prompt in left-padded batches, read one position at the chosen hook of each chosen layer, and
 * reduce the paired rows to one direction per layer.
 */
import { hookName, type Model, RudderError } from '../../engine';
import { type CollectOptions, collectActivations, type Position } from '../activations';
import type { ContrastPair, VectorHook, VectorMethod } from '../recipe';
import type { SteeringVector } from '../vector';
import { hookWidth } from '../vector';
import { aggregate } from './aggregators';
import { encodeInput } from './prompts';

export interface ContrastOptions extends Pick<CollectOptions, 'batchSize' | 'onProgress'> {
  readonly pairs: readonly ContrastPair[];
  readonly hook: VectorHook;
  /** Layers to read; 'all' for every layer (repeng's default reads all but the first). */
  readonly layers: readonly number[] | 'all';
  readonly position: Position;
  readonly method: VectorMethod;
  readonly chat?: boolean;
}

export async function buildContrastVector(model: Model, opts: ContrastOptions): Promise<SteeringVector> {
  const { spec } = model;
  if (opts.pairs.length === 0)
    throw new RudderError('no-pairs', 'Building a vector needs at least one pair.');
  if (opts.position.kind === 'all')
    throw new RudderError(
      'bad-position',
      'A contrast vector reads one position per prompt (last, an index or the mean); for every position use ActAdd.',
    );
  const layers = opts.layers === 'all' ? [...Array(spec.nLayers).keys()] : [...opts.layers];
  const badLayer = layers.find((l) => !Number.isInteger(l) || l < 0 || l >= spec.nLayers);
  if (badLayer !== undefined)
    throw new RudderError(
      'bad-layer',
      `Layer ${badLayer} does not exist (the model has 0..${spec.nLayers - 1}).`,
    );
  const enc = { chat: opts.chat ?? false };
  const prompts = [
    ...opts.pairs.map((p) => encodeInput(model, p.positive, enc)),
    ...opts.pairs.map((p) => encodeInput(model, p.negative, enc)),
  ];
  const hooks = layers.map((l) => hookName(opts.hook, l));
  const acts = await collectActivations(model, prompts, hooks, opts.position, {
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
  });
  const n = opts.pairs.length;
  const out: Record<number, Float32Array> = {};
  layers.forEach((l, i) => {
    const rows = acts.get(hooks[i]!)!;
    out[l] = aggregate(opts.method, rows.slice(0, n), rows.slice(n));
  });
  return {
    modelId: model.id,
    hook: opts.hook,
    width: hookWidth(opts.hook, spec),
    rows: 1,
    layers: out,
    recipe: {
      from: 'contrast',
      model: model.id,
      pairs: opts.pairs.map((p) => ({ positive: copy(p.positive), negative: copy(p.negative) })),
      hook: opts.hook,
      layers,
      position: opts.position,
      method: opts.method,
      ...(opts.chat ? { chat: true } : {}),
    },
  };
}

const copy = <T extends string | number[]>(x: T): T => (typeof x === 'string' ? x : ([...x] as T));
