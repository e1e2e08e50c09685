/**
 * AUSteer's atomic units (zijian678/AUSteer `steer.py`, METHODS.md §7): every dimension of one
 * block activation (z, mlp_out or the block output) at every layer is a unit; its activation
 * momentum over contrast pairs is β = ±max(#Δ>0, #Δ<0)/N, positive when positives dominate, and
 * the units with the largest |β| over all layers are kept.
 */
import { hookName, type Model, RudderError } from '../../engine';
import { type CollectOptions, collectActivations, type Position } from '../activations';
import type { ContrastPair, UnitPoint } from '../recipe';
import type { AtomicUnit, UnitSelection } from '../vector';
import { encodeInput } from './prompts';

export interface UnitsOptions extends Pick<CollectOptions, 'batchSize' | 'onProgress'> {
  readonly pairs: readonly ContrastPair[];
  readonly point: UnitPoint;
  /** Default the last token (as AUSteer reads it). */
  readonly position?: Position;
  /** How many of the ranked units to keep. Default 10. */
  readonly k?: number;
  readonly chat?: boolean;
}

export async function buildUnits(model: Model, opts: UnitsOptions): Promise<UnitSelection> {
  const n = opts.pairs.length;
  if (n === 0) throw new RudderError('no-pairs', 'Ranking atomic units needs at least one pair.');
  const position = opts.position ?? { kind: 'last' };
  if (position.kind === 'all')
    throw new RudderError('bad-position', 'Atomic units are ranked at one position per prompt.');
  const k = opts.k ?? 10;
  const enc = { chat: opts.chat ?? false };
  const prompts = [
    ...opts.pairs.map((p) => encodeInput(model, p.positive, enc)),
    ...opts.pairs.map((p) => encodeInput(model, p.negative, enc)),
  ];
  const layers = [...Array(model.spec.nLayers).keys()];
  const hooks = layers.map((l) => hookName(opts.point, l));
  const acts = await collectActivations(model, prompts, hooks, position, opts);
  const all: AtomicUnit[] = [];
  layers.forEach((layer, li) => {
    const rows = acts.get(hooks[li]!)!;
    for (const [index, beta] of momenta(rows.slice(0, n), rows.slice(n)).entries())
      all.push({ layer, point: opts.point, index, beta });
  });
  // Stable sort: among equal |β| the earlier layer and index come first, as in the reference.
  const ranked = all
    .map((u, i) => ({ u, i }))
    .sort((a, b) => Math.abs(b.u.beta) - Math.abs(a.u.beta) || a.i - b.i);
  return {
    modelId: model.id,
    units: ranked.slice(0, k).map((r) => r.u),
    recipe: {
      from: 'units',
      model: model.id,
      pairs: opts.pairs.map((p) => ({ positive: copy(p.positive), negative: copy(p.negative) })),
      point: opts.point,
      position,
      k,
    },
  };
}

/** β per dimension from paired rows: ±max(#Δ>0, #Δ<0)/N, negative only when #Δ<0 is larger. */
export function momenta(pos: readonly Float32Array[], neg: readonly Float32Array[]): Float32Array {
  const width = pos[0]?.length ?? 0;
  const up = new Int32Array(width);
  const down = new Int32Array(width);
  pos.forEach((p, i) => {
    const q = neg[i]!;
    for (let j = 0; j < width; j++) {
      if (p[j]! > q[j]!) up[j]!++;
      else if (p[j]! < q[j]!) down[j]!++;
    }
  });
  return Float32Array.from(up, (u, j) => (u >= down[j]! ? u : -down[j]!) / pos.length);
}

const copy = <T extends string | number[]>(x: T): T => (typeof x === 'string' ? x : ([...x] as T));
