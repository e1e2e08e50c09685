/**
 * The steered side of an Experiment, ready to compile: experiment's `steeredPlan` derives the
 * interventions and the sources of what they name; this builds those (or takes them from the
 * model's caches) and adds the head means a mean-ablation gate needs. The generation and the lens
 * both steer through here, so the steered lens is always the steered generation's.
 */
import { CancelledError, RudderError } from '../../engine';
import {
  type Experiment,
  STEERING_PLANE,
  STEERING_UNITS,
  STEERING_VECTOR,
  steeredPlan,
} from '../../experiment';
import {
  type CompileContext,
  type Intervention,
  inNormUnits,
  needsHeadMeans,
  type SteeringPlane,
  type SteeringVector,
  type UnitSelection,
} from '../../interp';
import type { Current } from './context';

export interface Steering {
  readonly interventions: readonly Intervention[];
  readonly context: Omit<CompileContext, 'model'>;
}

/** The steering loop's own names: when one of these cannot be built, the loop is left out. */
const LOOP = new Set<string>([STEERING_VECTOR, STEERING_PLANE, STEERING_UNITS]);

/**
 * Builds what the steered side's interventions name. The loop's own vector, plane or unit
 * selection failing to build (the vector panel says why) leaves only the loop's intervention out:
 * the experiment's others (head gates, the refusal view's) still apply. `prompt` is the reference
 * for head means when the model ships no neutral openings.
 */
export async function resolveSteering(
  cur: Current,
  exp: Experiment,
  prompt: readonly number[],
  signal: AbortSignal,
): Promise<Steering> {
  const { model, vectors: store } = cur;
  const plan = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers });
  const vectors: Record<string, SteeringVector> = {};
  const planes: Record<string, SteeringPlane> = {};
  const units: Record<string, UnitSelection> = {};
  const failed = new Set<string>();
  const resolve = async (name: string, build: () => Promise<void>) => {
    try {
      await build();
    } catch (e) {
      if (!LOOP.has(name) || (e instanceof RudderError && e.code === 'cancelled')) throw e;
      failed.add(name);
    }
    if (signal.aborted) throw new CancelledError();
  };
  for (const iv of plan.interventions) {
    // A name with no source is left for compile, which names what is missing.
    if ('vector' in iv && plan.vectors[iv.vector] && !vectors[iv.vector]) {
      const src = plan.vectors[iv.vector]!;
      await resolve(iv.vector, async () => {
        vectors[iv.vector] = (await store.build(src)).vector;
      });
    }
    if (iv.kind === 'rotate' && plan.planes[iv.plane] && !planes[iv.plane]) {
      const r = plan.planes[iv.plane]!;
      await resolve(iv.plane, async () => {
        planes[iv.plane] = await store.plane(r);
      });
    }
    if (iv.kind === 'units' && plan.units[iv.units] && !units[iv.units]) {
      const r = plan.units[iv.units]!;
      await resolve(iv.units, async () => {
        units[iv.units] = await store.unitSelection(r);
      });
    }
  }
  let interventions = plan.interventions.filter((iv) => !failed.has(named(iv)));
  const own = vectors[STEERING_VECTOR];
  if (exp.steering.unit === 'norm' && own) {
    const typical = await typicalNormsOf(cur, own.hook);
    vectors[STEERING_VECTOR] = inNormUnits(own, typical);
    interventions = interventions.map((iv) => inNormWeights(iv, typical));
  }
  const context: Steering['context'] = { vectors, planes, units };
  // Head means cost a pass over the reference set: only a gate that mean-ablates asks for them.
  if (!needsHeadMeans(interventions)) return { interventions, context };
  return { interventions, context: { ...context, headMeans: await cur.heads.headMeans(prompt) } };
}

/** The typical norms at a hook (METHODS.md §19), measured on the organism's neutral openings. */
export function typicalNormsOf(cur: Current, hook: SteeringVector['hook']): Promise<number[]> {
  return cur.vectors.typicalNorms(hook, async () => (await cur.heads.datasets())?.neutralOpenings ?? []);
}

/**
 * Layer-weighted steering adds strength × weight × unit(v) (it normalises the vector itself), so
 * in norm units each layer's weight carries that layer's typical norm.
 */
function inNormWeights(iv: Intervention, typical: readonly number[]): Intervention {
  if (iv.kind !== 'layer-weighted' || iv.vector !== STEERING_VECTOR) return iv;
  return { ...iv, weights: iv.weights.map((w) => ({ ...w, weight: w.weight * (typical[w.layer] ?? 0) })) };
}

function named(iv: Intervention): string {
  if ('vector' in iv) return iv.vector;
  if (iv.kind === 'rotate') return iv.plane;
  if (iv.kind === 'units') return iv.units;
  return '';
}
