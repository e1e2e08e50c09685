/**
 * The steering loop's derived data: the vector recipe its pairs and choices describe (or the
 * imported vector that replaces it), the plane and unit selection the rotate and units operators
 * need, the interventions its operator and strength describe, and the slider's range. Pure
 * functions of the Experiment and the model's shape, so the UI and the worker derive the same
 * thing, and a link that carries the Experiment carries all of it.
 */

import { RudderError } from '../engine';
import type { Intervention, PlaneRecipe, UnitsRecipe } from '../interp';
import { LIMITS } from './limits';
import { emptyRecord } from './named-record';
import { type InlineVector, inlineLayerList, MAX_UNITS, type VectorSource } from './operators';
import type { Experiment, Steering, TextPair } from './schema';

/** The name the steering loop's vector has among the experiment's vectors. */
export const STEERING_VECTOR = 'steering';
/** Names of the plane (rotate) and the unit selection (units) built from the loop's pairs. */
export const STEERING_PLANE = 'steering-plane';
export const STEERING_UNITS = 'steering-units';

/** Pairs with text on both sides (the editor may hold half-written rows). */
export function completePairs(pairs: readonly TextPair[]): TextPair[] {
  return pairs.filter((p) => p.positive.trim() !== '' && p.negative.trim() !== '');
}

/**
 * The chosen layers; the middle layer when none is chosen. A chosen layer the model does not have
 * (a link made for a deeper model) is an error, never silently another layer.
 */
export function steeringLayers(s: Pick<Steering, 'layers'>, nLayers: number): number[] {
  const chosen = [...new Set(s.layers)].sort((a, b) => a - b);
  const beyond = chosen.filter((l) => l >= nLayers);
  if (beyond.length > 0) {
    throw new RudderError(
      'bad-layer',
      `The experiment steers layer ${beyond.join(', ')}, but this model has layers 0 to ${nLayers - 1}. Pick the layers to steer on the layer strip.`,
    );
  }
  return chosen.length > 0 ? chosen : [Math.floor(nLayers / 2)];
}

/**
 * Whether the loop's vector is ActAdd's. Its rows are per position, which only the add operator
 * (front-aligned) applies; an imported vector replaces any recipe.
 */
export function usesActAdd(s: Pick<Steering, 'recipe' | 'operator' | 'vector'>): boolean {
  return !s.vector && s.recipe === 'actadd' && s.operator === 'add';
}

/** Layers an imported vector is applied at: the chosen ones it has, else all of its own. */
export function inlineSteeringLayers(s: Pick<Steering, 'layers'>, v: Pick<InlineVector, 'layers'>): number[] {
  const have = inlineLayerList(v);
  const chosen = have.filter((l) => s.layers.includes(l));
  return chosen.length > 0 ? chosen : have;
}

/** The value the strength control shows for the operator (coefficient, fraction, degrees, α). */
export function steeringStrength(s: Steering): number {
  switch (s.operator) {
    case 'add':
      return s.coefficient;
    case 'ablate':
      return s.ablation;
    case 'rotate':
      return s.angle;
    case 'units':
      return s.alpha;
    case 'layer-weighted':
      return s.weighted;
    case 'guard':
      return s.redirect;
  }
}

/** The patch that sets the operator's strength, clamped to what the schema accepts. */
export function strengthPatch(s: Steering, value: number): Partial<Steering> {
  const clamp = (lo: number, hi: number) => Math.min(hi, Math.max(lo, value));
  switch (s.operator) {
    case 'add':
      return { coefficient: clamp(-LIMITS.coefficient, LIMITS.coefficient) };
    case 'ablate':
      return { ablation: clamp(0, 1) };
    case 'rotate':
      return { angle: clamp(-LIMITS.angle, LIMITS.angle) };
    case 'units':
      return { alpha: clamp(-LIMITS.alpha, LIMITS.alpha) };
    case 'layer-weighted':
      return { weighted: clamp(-LIMITS.coefficient, LIMITS.coefficient) };
    case 'guard':
      return { redirect: clamp(-LIMITS.coefficient, LIMITS.coefficient) };
  }
}

/**
 * What the steered side runs: its interventions (the loop's own, strength 0 included, which
 * compiles to no hook, then the experiment's others) and the sources of every vector, plane and
 * unit selection they may name: the experiment's own, then the loop's (the vector under
 * STEERING_VECTOR, the rotate operator's plane, the units operator's selection).
 */
export interface SteeredPlan {
  readonly interventions: Intervention[];
  readonly vectors: Record<string, VectorSource>;
  readonly planes: Record<string, PlaneRecipe>;
  readonly units: Record<string, UnitsRecipe>;
}

/**
 * The steered side of an experiment on a model of this shape, derived in one pass; the page (what
 * steers, the vector panel) and the worker (what to build and compile) read the same plan. The
 * loop's intervention is left out while what its operator needs is missing: a vector (from
 * complete pairs or an import) for add, ablate, layer-weighted and guard; pairs for rotate and
 * units. A chosen layer the model lacks throws (see `steeringLayers`), even with no pairs yet.
 */
export function steeredPlan(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): SteeredPlan {
  const s = exp.steering;
  const pairs = completePairs(s.pairs).map((p) => ({ positive: p.positive, negative: p.negative }));
  const layers = s.vector ? inlineSteeringLayers(s, s.vector) : steeringLayers(s, model.nLayers);
  const actAdd = usesActAdd(s);
  // The loop's vector: the imported one, else the pairs' recipe (ActAdd's: the first pair at the
  // first chosen layer, read position by position; contrast: every pair at every chosen layer).
  const vector: VectorSource | undefined =
    s.vector ??
    (pairs.length === 0
      ? undefined
      : actAdd
        ? { from: 'actadd', model: model.id, ...pairs[0]!, layer: layers[0]! }
        : {
            from: 'contrast',
            model: model.id,
            pairs,
            hook: s.hook,
            layers,
            position: s.position,
            method: s.method,
            ...(s.chat ? { chat: true } : {}),
          });
  const planes: [string, PlaneRecipe][] = [];
  const units: [string, UnitsRecipe][] = [];
  let loop: Intervention | undefined;
  switch (s.operator) {
    case 'add':
      loop = vector && {
        kind: 'add',
        vector: STEERING_VECTOR,
        coefficient: s.coefficient,
        layers,
        positions: s.positions,
        ...(s.normalize ? { normalize: true } : {}),
        // ActAdd's first row (BOS) is zero: it has no direction to ablate.
        ...(s.ablateFirst && !actAdd ? { ablateFirst: true } : {}),
      };
      break;
    case 'ablate':
      // Arditi: one direction (the first steered layer's) removed from every residual write.
      loop = vector && {
        kind: 'ablate',
        vector: STEERING_VECTOR,
        layer: layers[0]!,
        scope: 'residual-writes',
        strength: s.ablation,
      };
      break;
    case 'rotate':
      if (pairs.length === 0) break;
      planes.push([
        STEERING_PLANE,
        {
          from: 'plane',
          model: model.id,
          positive: pairs.map((p) => p.positive),
          negative: pairs.map((p) => p.negative),
          discriminative: s.discriminative,
        },
      ]);
      // The plane's modules: every norm output, or the discriminative ones its recipe selects.
      loop = { kind: 'rotate', plane: STEERING_PLANE, mode: s.rotation, angle: s.angle };
      break;
    case 'units':
      if (pairs.length === 0) break;
      units.push([
        STEERING_UNITS,
        {
          from: 'units',
          model: model.id,
          pairs,
          point: s.unitPoint,
          // AUSteer ranks at one position per prompt; "all" is not one.
          position: s.position.kind === 'all' ? { kind: 'last' } : s.position,
          // Ranked once to the cap, so moving k only takes a longer or shorter prefix.
          k: MAX_UNITS,
        },
      ]);
      loop = { kind: 'units', units: STEERING_UNITS, alpha: s.alpha, k: s.k };
      break;
    case 'layer-weighted':
      loop = vector && {
        kind: 'layer-weighted',
        vector: STEERING_VECTOR,
        strength: s.weighted,
        weights: layers.map((layer) => ({ layer, weight: 1 })),
        positions: s.positions,
      };
      break;
    case 'guard':
      loop = vector && { kind: 'guard', vector: STEERING_VECTOR, layer: layers[0]!, coefficient: s.redirect };
      break;
  }
  return {
    interventions: [...(loop ? [loop] : []), ...exp.interventions],
    vectors: emptyRecord<VectorSource>([
      ...Object.entries(exp.vectors),
      ...(vector ? ([[STEERING_VECTOR, vector]] as const) : []),
    ]),
    planes: emptyRecord([...Object.entries(exp.planes), ...planes]),
    units: emptyRecord(units),
  };
}

/**
 * The slider's range: up to the coefficient at which the added vector is `reach` times the
 * residual stream's norm at that layer. Past that the model mostly produces noise; well below it
 * nothing visible happens, so the range scales with each vector instead of being fixed.
 */
export function coefficientRange(
  vectorNorm: number,
  residualNorm: number,
  reach = 2,
): { readonly max: number; readonly step: number } {
  if (!(vectorNorm > 0) || !(residualNorm > 0)) return { max: 10, step: 0.1 };
  const raw = (reach * residualNorm) / vectorNorm;
  // A round maximum reads better on the slider and in a link.
  const mag = 10 ** Math.floor(Math.log10(raw));
  const max = Math.ceil(raw / mag) * mag;
  return { max, step: max / 200 };
}

/** A vector this many times the residual stream's norm (or this many times smaller) is suspect. */
const SCALE_WARNING = 1000;

/**
 * What to tell the person about an imported vector's scale, layer by layer: far larger than the
 * residual stream it is added to (made for another model, or in other units: any coefficient
 * the slider offers swamps the stream), or far smaller (the largest coefficient moves nothing).
 */
export function vectorScaleWarnings(
  layers: readonly number[],
  norms: readonly number[],
  residualNorms: readonly number[],
): string[] {
  const warnings: string[] = [];
  layers.forEach((l, i) => {
    const ratio = norms[i]! / residualNorms[i]!;
    if (!Number.isFinite(ratio) || ratio <= 0) return;
    const times = (x: number) => (x < 1e6 ? Math.round(x).toLocaleString('en-US') : x.toExponential(0));
    if (ratio > SCALE_WARNING)
      warnings.push(
        `At layer ${l} the vector's norm is ${times(ratio)} times the residual stream's: it was likely made for another model or scale, and even small coefficients will swamp the model.`,
      );
    else if (ratio < 1 / SCALE_WARNING)
      warnings.push(
        `At layer ${l} the vector's norm is ${times(1 / ratio)} times smaller than the residual stream's: steering with it may need coefficients beyond the slider's range.`,
      );
  });
  return warnings;
}
