/** The refusal view's sets: the model's own (its folder's datasets) or the ones a request names. */
import type { ModelSource } from '../engine';
import { type RefusalSets, readOrganismData } from '../interp';
import type { RefusalSetsRequest } from './api';

/** The model's own sets, read from its folder. */
export async function ownSets(source: ModelSource | undefined): Promise<RefusalSets> {
  if (!source) return { harmful: [], harmless: [] };
  const data = await readOrganismData(source);
  return {
    harmful: data.harmful.map((r) => r.instruction),
    harmless: data.harmless.map((r) => r.instruction),
  };
}

/** Sets a request names, the model's own filling in a side left out. */
export async function requestSets(
  req: RefusalSetsRequest,
  own: () => Promise<RefusalSets>,
): Promise<RefusalSets> {
  if (req.harmful && req.harmless) return { harmful: req.harmful, harmless: req.harmless };
  const o = await own();
  return { harmful: req.harmful ?? o.harmful, harmless: req.harmless ?? o.harmless };
}
