/**
 * The refusal view's jobs on the Experiment's sets (`experiment.refusal`; a side left out means the
 * model's own, read once from its folder's datasets): METHODS.md §5's direction (interp's whole
 * pipeline), a prompt's profile along it, and the refusal circuit (§9). Each kind has its slot:
 * a newer one stops an older one of the same kind.
 */
import { CancelledError, RudderError } from '../../engine';
import type { Experiment } from '../../experiment';
import {
  findRefusalCircuit,
  findRefusalDirection,
  type RefusalSets,
  readOrganismData,
  refusalProfile,
  refusalReferences,
} from '../../interp';
import type { RefusalMethods } from '../api';
import type { Current, HostContext } from './context';

/** Prompts of each set the circuit is found on (each costs patching passes). */
const CIRCUIT_PROMPTS = 16;

export function refusalMethods(ctx: HostContext): RefusalMethods {
  return {
    refusalSets: () => ownSets(ctx.require()),
    findRefusalDirection: (request, onProgress) =>
      ctx.slots.refusalFind.run(async (signal) => {
        const cur = ctx.require();
        const sets = await setsOf(cur, ctx.experiment(request.experiment));
        const { found, direction } = await findRefusalDirection(cur.model, sets, {
          // Not awaited: progress must not wait for a round trip to the page.
          ...(onProgress ? { onProgress: (p) => void onProgress(p) } : {}),
          signal,
        });
        // A link that names the direction then replays exactly what was scored.
        if (found.vector && direction) cur.vectors.seed(found.vector, direction);
        return found;
      }),
    refusalProfile: (request) =>
      ctx.slots.refusalProfile.run(async () => {
        const { cur, exp, prompt } = ctx.read(request.experiment);
        const named = exp.vectors.refusal;
        const r = request.vector ?? (named?.from === 'refusal' ? named : undefined);
        if (!r) throw new RudderError('no-vector', 'Find the refusal direction first.');
        const direction = (await cur.vectors.refusalVector(r)).layers[r.layer]!;
        const key = JSON.stringify([r.harmful, r.harmless, r.position, r.layer]);
        // The references depend on the direction only: computed once, not on every prompt edit.
        if (cur.references?.key !== key)
          cur.references = { key, refs: await refusalReferences(cur.model, r, direction, r.position) };
        return refusalProfile(cur.model, prompt, direction, r.position, cur.references.refs);
      }),
    refusalCircuit: (request, onProgress) =>
      ctx.slots.refusalCircuit.run(async (signal) => {
        const cur = ctx.require();
        const { model } = cur;
        const sets = await setsOf(cur, ctx.experiment(request.experiment));
        const started = performance.now();
        const found = await findRefusalCircuit(model, sets, {
          maxPrompts: CIRCUIT_PROMPTS,
          onProgress: (stage, done, total) => {
            if (signal.aborted) throw new CancelledError();
            void onProgress?.({ stage, done, total });
          },
        });
        const text = (ids: readonly number[]) => ids.map((id) => model.tokenizer!.decode([id]));
        return {
          circuit: found.circuit,
          refuseTokens: text(found.refuse),
          complyTokens: text(found.comply),
          nLayers: model.spec.nLayers,
          nHeads: model.spec.nHeads,
          prompts: found.prompts,
          ms: Math.round(performance.now() - started),
        };
      }),
  };
}

/** The model's own sets, read once per model from its folder (empty when it ships none). */
function ownSets(cur: Current): Promise<RefusalSets> {
  cur.ownSets ??= (async () => {
    if (!cur.source) return { harmful: [], harmless: [] };
    const data = await readOrganismData(cur.source);
    return {
      harmful: data.harmful.map((r) => r.instruction),
      harmless: data.harmless.map((r) => r.instruction),
    };
  })().catch((e) => {
    cur.ownSets = undefined; // a network hiccup may pass
    throw e;
  });
  return cur.ownSets;
}

/** The experiment's edited sets, the model's own filling in a side left out. */
async function setsOf(cur: Current, exp: Experiment): Promise<RefusalSets> {
  const { harmful, harmless } = exp.refusal;
  if (harmful && harmless) return { harmful, harmless };
  const own = await ownSets(cur);
  return { harmful: harmful ?? own.harmful, harmless: harmless ?? own.harmless };
}
