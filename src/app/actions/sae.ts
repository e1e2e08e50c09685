/**
 * The sparse autoencoder view's actions (METHODS.md §17): Train sets `view.sae.train`, which runs
 * the job for the view's settings (and a link that carries it trains the same SAE: the seed is
 * fixed); editing a setting clears it; Stop ends a run; "Steer with this feature" puts the feature's
 * decoder direction in the steering controls as an inline vector at the SAE's layer.
 */
import { float16ToBase64, type InlineVector, type SaeViewSettings } from '../../experiment';
import type { SaeFeature, SaeOutcome } from '../../worker';
import { type RudderState, useStore } from '../store';
import { modelWorker } from '../worker';
import { edit } from './experiment';
import { generate } from './generate';
import { runJob } from './job';

const { getState } = useStore;

/** Set by Stop: the cancellation the person asked for. */
let stopped = false;

/** What the job answers: the model and the view's settings (undefined until Train). */
export function saeRequest(
  state: Pick<RudderState, 'current' | 'experiment'> = getState(),
): string | undefined {
  const { current: model, experiment } = state;
  if (!model || !experiment.view.sae.train) return undefined;
  return JSON.stringify([model.id, experiment.view.sae]);
}

/** Runs the job for the view's settings (nothing when it already answers them). */
export function runSae(force = false): void {
  const request = saeRequest();
  if (!request) return;
  const { experiment } = getState();
  stopped = false;
  void runJob(['sae'], {
    request,
    force,
    stopped: () => stopped,
    call: ({ progress }) => modelWorker().sparseAutoencoder({ experiment }, (p) => progress('sae', p)),
    results: (sae) => ({ sae }),
  });
}

/** Train: asks for the SAE of the current settings (again, when it already shows them). */
export function trainSae(): void {
  if (getState().experiment.view.sae.train) runSae(true);
  else editSaeView({ train: true });
}

export function stopSae(): void {
  stopped = true;
  void modelWorker().stopSparseAutoencoder();
}

/** A setting's edit: the shown SAE no longer answers the settings until Train is pressed again. */
export function editSaeView(patch: Partial<SaeViewSettings>): void {
  edit((e) => ({ ...e, view: { ...e.view, sae: { ...e.view.sae, train: false, ...patch } } }));
}

/** The strength a feature steers with: twice its largest activation (its own scale, doubled). */
export function featureCoefficient(f: SaeFeature): number {
  return Number((2 * f.max).toPrecision(2));
}

/** A feature's decoder direction as an inline vector at the SAE's layer (float16, as a link carries it). */
export function featureInlineVector(r: SaeOutcome, f: SaeFeature): InlineVector {
  return {
    from: 'inline',
    origin: 'sae-feature',
    hook: 'resid_post',
    width: f.direction.length,
    layers: { [String(r.layer)]: float16ToBase64(f.direction) },
    name: `SAE feature ${f.feature} (layer ${r.layer})`,
    model: r.modelId,
  };
}

/**
 * Puts feature j in the steering controls: added at every position of its layer with the
 * strength featureCoefficient gives, then Generate runs both sides (same seed), so the
 * difference between them is the feature's.
 */
export function steerWithFeature(j: number): void {
  const r = getState().sae.result;
  const f = r?.features.find((x) => x.feature === j);
  if (!r || !f) return;
  edit((e) => ({
    ...e,
    steering: {
      ...e.steering,
      vector: featureInlineVector(r, f),
      layers: [r.layer],
      operator: 'add',
      coefficient: featureCoefficient(f),
      positions: { kind: 'all' },
      normalize: false,
      ablateFirst: false,
    },
  }));
  void generate('both');
}
