/**
 * The steering loop's derived data: the vector recipe its pairs and choices describe (or the
 * imported vector that replaces it), the plane and unit selection the rotate and units operators
 * need, the interventions its operator and strength describe, and the slider's range. Pure
 * functions of the Experiment and the model's shape, so the UI and the worker derive the same
 * thing, and a link that carries the Experiment carries all of it.
 */

import { RudderError } from '../engine';
import type { Intervention, PlaneRecipe, UnitsRecipe, VectorRecipe } from '../interp';
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

/** The contrast recipe, or undefined while there is no complete pair. */
export function steeringRecipe(
  s: Steering,
  model: { readonly id: string; readonly nLayers: number },
): Extract<VectorRecipe, { from: 'contrast' }> | undefined {
  const pairs = completePairs(s.pairs);
  if (pairs.length === 0) return undefined;
  return {
    from: 'contrast',
    model: model.id,
    pairs: pairs.map((p) => ({ positive: p.positive, negative: p.negative })),
    hook: s.hook,
    layers: steeringLayers(s, model.nLayers),
    position: s.position,
    method: s.method,
    ...(s.chat ? { chat: true } : {}),
  };
}

/**
 * ActAdd's recipe (Turner et al.): the first complete pair at the first chosen layer, read at
 * resid_pre position by position; undefined while there is no complete pair.
 */
export function actAddRecipe(
  s: Steering,
  model: { readonly id: string; readonly nLayers: number },
): Extract<VectorRecipe, { from: 'actadd' }> | undefined {
  const first = completePairs(s.pairs)[0];
  if (!first) return undefined;
  return {
    from: 'actadd',
    model: model.id,
    positive: first.positive,
    negative: first.negative,
    layer: steeringLayers(s, model.nLayers)[0]!,
  };
}

/**
 * Whether the loop's vector is ActAdd's. Its rows are per position, which only the add operator
 * (front-aligned) applies; an imported vector replaces any recipe.
 */
export function usesActAdd(s: Pick<Steering, 'recipe' | 'operator' | 'vector'>): boolean {
  return !s.vector && s.recipe === 'actadd' && s.operator === 'add';
}

/** The steering vector's source: the imported vector when there is one, else the pairs' recipe (contrast or ActAdd). */
export function steeringVectorSource(
  s: Steering,
  model: { readonly id: string; readonly nLayers: number },
): VectorSource | undefined {
  if (s.vector) return s.vector;
  return usesActAdd(s) ? actAddRecipe(s, model) : steeringRecipe(s, model);
}

/** Every vector the experiment needs, by name (the steering vector first). */
export function experimentRecipes(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): Record<string, VectorSource> {
  const own = steeringVectorSource(exp.steering, model);
  return emptyRecord([...Object.entries(exp.vectors), ...(own ? ([[STEERING_VECTOR, own]] as const) : [])]);
}

/**
 * The planes and unit selections the steered side needs: the experiment's own planes (e.g. the
 * refusal view's), then the one the loop's operator rebuilds from the pairs.
 */
export function steeringExtras(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): { planes: Record<string, PlaneRecipe>; units: Record<string, UnitsRecipe> } {
  const own = loopExtras(exp, model);
  return {
    planes: emptyRecord([...Object.entries(exp.planes), ...Object.entries(own.planes)]),
    units: own.units,
  };
}

/** The plane or unit selection the loop's operator needs, rebuilt from the pairs (none otherwise). */
function loopExtras(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): { planes: Record<string, PlaneRecipe>; units: Record<string, UnitsRecipe> } {
  const s = exp.steering;
  const pairs = completePairs(s.pairs);
  if (pairs.length === 0 || (s.operator !== 'rotate' && s.operator !== 'units'))
    return { planes: {}, units: {} };
  if (s.operator === 'rotate') {
    const plane: PlaneRecipe = {
      from: 'plane',
      model: model.id,
      positive: pairs.map((p) => p.positive),
      negative: pairs.map((p) => p.negative),
      discriminative: s.discriminative,
    };
    return { planes: { [STEERING_PLANE]: plane }, units: {} };
  }
  const units: UnitsRecipe = {
    from: 'units',
    model: model.id,
    pairs: pairs.map((p) => ({ positive: p.positive, negative: p.negative })),
    point: s.unitPoint,
    // AUSteer ranks at one position per prompt; "all" is not one.
    position: s.position.kind === 'all' ? { kind: 'last' } : s.position,
    // Ranked once to the cap, so moving k only takes a longer or shorter prefix.
    k: MAX_UNITS,
  };
  return { planes: {}, units: { [STEERING_UNITS]: units } };
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

/** What the steered side runs: its interventions and the sources of what they name. */
export interface SteeredPlan {
  readonly interventions: Intervention[];
  readonly vectors: Record<string, VectorSource>;
  readonly planes: Record<string, PlaneRecipe>;
  readonly units: Record<string, UnitsRecipe>;
}

/** The steered side of an experiment on a model of this shape, derived once (the worker's job). */
export function steeredPlan(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): SteeredPlan {
  return {
    interventions: steeredInterventions(exp, model.nLayers),
    vectors: experimentRecipes(exp, model),
    ...steeringExtras(exp, model),
  };
}

/**
 * The steered side's interventions: the loop's own (strength 0 included, which compiles to no
 * hook) followed by the experiment's others.
 */
export function steeredInterventions(exp: Experiment, nLayers: number): Intervention[] {
  return [...steeringInterventions(exp.steering, nLayers), ...exp.interventions];
}

/**
 * The loop's own intervention, by operator; none while what the operator needs is missing (a
 * vector, from pairs or an import, for add and ablate; pairs for rotate and units).
 */
export function steeringInterventions(s: Steering, nLayers: number): Intervention[] {
  const hasPairs = completePairs(s.pairs).length > 0;
  const hasVector = hasPairs || s.vector !== undefined;
  const layers = s.vector ? inlineSteeringLayers(s, s.vector) : steeringLayers(s, nLayers);
  switch (s.operator) {
    case 'add':
      if (!hasVector) return [];
      return [
        {
          kind: 'add',
          vector: STEERING_VECTOR,
          coefficient: s.coefficient,
          layers,
          positions: s.positions,
          ...(s.normalize ? { normalize: true } : {}),
          // ActAdd's first row (BOS) is zero: it has no direction to ablate.
          ...(s.ablateFirst && !usesActAdd(s) ? { ablateFirst: true } : {}),
        },
      ];
    case 'ablate':
      if (!hasVector) return [];
      // Arditi: one direction (the first steered layer's) removed from every residual write.
      return [
        {
          kind: 'ablate',
          vector: STEERING_VECTOR,
          layer: layers[0]!,
          scope: 'residual-writes',
          strength: s.ablation,
        },
      ];
    case 'rotate':
      if (!hasPairs) return [];
      // The plane's modules: every norm output, or the discriminative ones its recipe selects.
      return [{ kind: 'rotate', plane: STEERING_PLANE, mode: s.rotation, angle: s.angle }];
    case 'units':
      if (!hasPairs) return [];
      return [{ kind: 'units', units: STEERING_UNITS, alpha: s.alpha, k: s.k }];
    case 'layer-weighted':
      if (!hasVector) return [];
      return [
        {
          kind: 'layer-weighted',
          vector: STEERING_VECTOR,
          strength: s.weighted,
          weights: layers.map((layer) => ({ layer, weight: 1 })),
          positions: s.positions,
        },
      ];
    case 'guard':
      if (!hasVector) return [];
      return [{ kind: 'guard', vector: STEERING_VECTOR, layer: layers[0]!, coefficient: s.redirect }];
  }
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
