/**
 * The refusal direction an experiment names by recipe (`{ from: 'refusal' }`), rebuilt on the
 * model and cached per model, so that a link replays the direction the selection chose exactly.
 * VectorStore.build hands refusal recipes here.
 */
import { hookName, type Model } from '../engine';
import {
  collectActivations,
  encodeInput,
  mean,
  norm,
  type RefusalRecipe,
  refusalVector,
  type SteeringVector,
} from '../interp';
import type { VectorInfo } from './api';

/** Refusal vectors built per model, by recipe (the selection seeds it with what it chose). */
const built = new WeakMap<Model, Map<string, SteeringVector>>();
export const recipeKey = (r: RefusalRecipe) =>
  JSON.stringify([r.model, r.harmful, r.harmless, r.position, r.layer]);

function builtFor(model: Model): Map<string, SteeringVector> {
  const m = built.get(model) ?? new Map<string, SteeringVector>();
  built.set(model, m);
  return m;
}

export async function refusalVectorCached(model: Model, recipe: RefusalRecipe): Promise<SteeringVector> {
  const m = builtFor(model);
  const key = recipeKey(recipe);
  let v = m.get(key);
  if (!v) {
    v = await refusalVector(model, recipe);
    m.set(key, v);
    // A person finds a few directions per session; keep the newest few.
    if (m.size > 8) m.delete(m.keys().next().value!);
  }
  return v;
}

export function seed(model: Model, recipe: RefusalRecipe, v: SteeringVector): void {
  builtFor(model).set(recipeKey(recipe), v);
}

/**
 * What VectorStore.build answers for a refusal recipe: the vector, and the numbers the page
 * shows for a vector (its norm against the residual's mean norm at its layer and position).
 */
export async function refusalBuilt(
  model: Model,
  recipe: RefusalRecipe,
): Promise<{ vector: SteeringVector; info: VectorInfo }> {
  const started = performance.now();
  const m = built.get(model);
  const cached = m?.has(recipeKey(recipe)) ?? false;
  const vector = await refusalVectorCached(model, recipe);
  const r = vector.layers[recipe.layer]!;
  const hook = hookName('resid_pre', recipe.layer);
  const acts = await collectActivations(
    model,
    recipe.harmless.slice(0, 8).map((p) => encodeInput(model, p, { chat: true })),
    [hook],
    { kind: 'index', index: recipe.position },
  );
  const rows = acts.get(hook)!;
  return {
    vector,
    info: {
      key: `refusal:${recipeKey(recipe)}`,
      hook: 'resid_pre',
      layers: [recipe.layer],
      norms: [norm(r)],
      residualNorms: [mean(rows.map((x) => norm(x)))],
      perLayer: [],
      pairs: Math.min(recipe.harmful.length, recipe.harmless.length),
      ms: Math.round(performance.now() - started),
      cached,
    },
  };
}
