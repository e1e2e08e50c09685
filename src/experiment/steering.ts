/**
 * The steering loop's derived data: the vector recipe its pairs and choices describe, the add
 * intervention its coefficient describes, and the slider's range. Pure functions of the
 * Experiment and the model's shape, so the UI and the worker derive the same thing.
 */
import type { Intervention, VectorRecipe } from '../interp';
import type { Experiment, Steering, TextPair } from './schema';

/** The name the steering loop's vector has among the experiment's vectors. */
export const STEERING_VECTOR = 'steering';

/** Pairs with text on both sides (the editor may hold half-written rows). */
export function completePairs(pairs: readonly TextPair[]): TextPair[] {
  return pairs.filter((p) => p.positive.trim() !== '' && p.negative.trim() !== '');
}

/** The chosen layers that the model has; the middle layer when none is chosen or none fits. */
export function steeringLayers(s: Pick<Steering, 'layers'>, nLayers: number): number[] {
  const fit = [...new Set(s.layers)].filter((l) => l < nLayers).sort((a, b) => a - b);
  return fit.length > 0 ? fit : [Math.floor(nLayers / 2)];
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

/** Every vector recipe the experiment needs, by name (the steering vector first). */
export function experimentRecipes(
  exp: Experiment,
  model: { readonly id: string; readonly nLayers: number },
): Record<string, VectorRecipe> {
  const own = steeringRecipe(exp.steering, model);
  return { ...exp.vectors, ...(own ? { [STEERING_VECTOR]: own } : {}) };
}

/**
 * The steered side's interventions: the loop's add (coefficient 0 included, which compiles to no
 * hook) followed by the experiment's others. Empty when there is nothing to steer with.
 */
export function steeredInterventions(exp: Experiment, nLayers: number): Intervention[] {
  const s = exp.steering;
  const own: Intervention[] =
    completePairs(s.pairs).length > 0
      ? [
          {
            kind: 'add',
            vector: STEERING_VECTOR,
            coefficient: s.coefficient,
            layers: steeringLayers(s, nLayers),
            positions: s.positions,
            ...(s.normalize ? { normalize: true } : {}),
          },
        ]
      : [];
  return [...own, ...exp.interventions];
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
