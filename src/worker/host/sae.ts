/**
 * The sparse autoencoder view's job (METHODS.md §17) on the experiment's `view.sae` settings: the
 * model folder's shipped texts (saeCorpus) are read at resid_post[layer], an SAE is trained on the
 * first nine tenths of their tokens and measured on the rest, then every feature's top texts are
 * found and the strongest live features listed. One slot: a newer run, or Stop, stops the running one.
 */
import { CancelledError, type Model, RudderError } from '../../engine';
import {
  encodeSaeText,
  type FeatureExample,
  featureTopTexts,
  readOrganismData,
  saeCorpus,
  trainResidualSae,
} from '../../interp';
import type { SaeFeature, SaeFeatureExample, SaeJobProgress, SaeMethods } from '../api';
import type { HostContext } from './context';

/** Features listed, and texts shown per feature. */
const LISTED = 32;
const EXAMPLES = 3;
/** Tokens of context shown before and after the token where a feature is strongest. */
const CONTEXT = 8;
/** Tokens per Adam step. */
const BATCH = 256;

export function saeMethods(ctx: HostContext): SaeMethods {
  return {
    sparseAutoencoder: (request, onProgress) =>
      ctx.slots.sae.run(async (signal) => {
        const cur = ctx.require();
        const { model } = cur;
        const settings = ctx.experiment(request.experiment).view.sae;
        const layer = settings.layer ?? Math.floor(model.spec.nLayers / 2);
        const texts = cur.source ? saeCorpus(await readOrganismData(cur.source)) : [];
        if (!texts.length)
          throw new RudderError(
            'no-texts',
            `${model.id} ships no texts to train an SAE on (datasets/validation.json and the story sets): the organisms do.`,
          );
        // Not awaited: progress must not wait for a round trip to the page.
        const tell = (p: SaeJobProgress) => {
          if (signal.aborted) throw new CancelledError();
          void onProgress?.(p);
        };
        const started = performance.now();
        tell({ stage: 'activations', done: 0, total: texts.length });
        const trained = await trainResidualSae(model, texts, layer, {
          dSae: settings.features,
          l1: settings.l1,
          steps: settings.steps,
          batchSize: BATCH,
          seed: 1,
          progressEvery: Math.max(1, Math.round(settings.steps / 50)),
          signal,
          onRows: () => tell({ stage: 'train', done: 0, total: settings.steps }),
          onProgress: (p) => tell({ stage: 'train', done: p.step, total: p.steps, l0: p.l0, dead: p.dead }),
        });
        const { sae, figures } = trained;
        const all = Array.from({ length: sae.dSae }, (_, j) => j);
        const tops = await featureTopTexts(model, sae, texts, all, texts.length, (done, total) =>
          tell({ stage: 'features', done, total }),
        );
        const features: SaeFeature[] = all
          .filter((j) => tops[j]!.length > 0)
          .sort((a, b) => tops[b]![0]!.activation - tops[a]![0]!.activation)
          .slice(0, LISTED)
          .map((j) => ({
            feature: j,
            max: tops[j]![0]!.activation,
            texts: tops[j]!.length,
            examples: tops[j]!.slice(0, EXAMPLES).map((e) => example(model, texts, e)),
            direction: sae.W_dec.slice(j * sae.dIn, (j + 1) * sae.dIn),
          }));
        return {
          modelId: model.id,
          layer,
          dSae: sae.dSae,
          l1: sae.l1,
          steps: settings.steps,
          trainTokens: trained.trainTokens,
          resampled: trained.resampled,
          trainMs: Math.round(trained.ms),
          residNorm: trained.residNorm,
          ...figures,
          features,
          ms: Math.round(performance.now() - started),
        };
      }),
    stopSparseAutoencoder: () => ctx.slots.sae.abort(),
  };
}

/** The text around the token where the feature is strongest, decoded in three parts. */
function example(model: Model, texts: readonly string[], e: FeatureExample): SaeFeatureExample {
  const ids = encodeSaeText(model, texts[e.text]!);
  const tok = model.tokenizer!;
  const text = (from: number, to: number) => tok.decode(ids.slice(Math.max(0, from), to));
  return {
    before: text(e.position - CONTEXT, e.position),
    token: text(e.position, e.position + 1),
    after: text(e.position + 1, e.position + 1 + CONTEXT),
    activation: e.activation,
  };
}
