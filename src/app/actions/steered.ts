/**
 * What the steered side runs, assembled once for every view that runs it (the steered generation,
 * the steered lens): the interventions, the recipes of the vectors, planes and unit selections
 * they name, and the same in words for headings.
 */
import { type Experiment, experimentRecipes, steeredInterventions, steeringExtras } from '../../experiment';
import type { Intervention, LoadedModel, PlaneRecipe, UnitsRecipe, VectorSource } from '../../worker';
import { useStore } from '../store';
import { describeSteered } from './describe';
import { syncVector } from './steer';

export interface SteeredRequest {
  /** The experiment it was read from (after the vector was resolved). */
  readonly experiment: Experiment;
  /** The steered row's interventions: the loop's own (when its vector is there), then the others. */
  readonly steering: Intervention[];
  readonly vectors: Record<string, VectorSource>;
  readonly planes: Record<string, PlaneRecipe>;
  readonly units: Record<string, UnitsRecipe>;
  /** What `steering` applies, in words ("add 4.00 · 2 heads gated"). */
  readonly label: string;
}

/**
 * Resolves the loop's vector first (building it if needed). Without it (the vector panel shows
 * why) only the loop's own intervention is dropped: the experiment's others (head gates, the
 * refusal view's, with vectors of their own) still apply.
 */
export async function steeredRequest(model: LoadedModel): Promise<SteeredRequest> {
  let steering: Intervention[] = steeredInterventions(useStore.getState().experiment, model.spec.nLayers);
  if (steering.length > 0) {
    const info = await syncVector();
    if (!info) steering = [...useStore.getState().experiment.interventions];
  }
  const experiment = useStore.getState().experiment;
  const spec = { id: model.id, nLayers: model.spec.nLayers };
  return {
    experiment,
    steering,
    vectors: experimentRecipes(experiment, spec),
    ...steeringExtras(experiment, spec),
    label: describeSteered(experiment, steering),
  };
}
