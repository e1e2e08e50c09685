/**
 * What steering does to the model organisms (issue 4's figures): the refusal direction found by
 * Arditi et al.'s selection, ablated (refusal on held-out harmful requests, KL on harmless ones)
 * and added (refusal induced on harmless requests); and a sentiment vector from 16 pairs, swept
 * over coefficients, with the share of neutral openings whose continuation turns positive or
 * negative as judged by a classifier trained on the corpus's labelled texts.
 */
import type { Model } from '../../engine';
import { chatPrompt, refusalRate, replies } from '../behaviour';
import { buildContrastVector } from '../build/contrast';
import { candidateVector, refusalCandidates, selectRefusalDirection } from '../build/refusal';
import { type CandidateScore, thirds } from '../build/refusal-select';
import { compile } from '../compile';
import type { Intervention } from '../interventions';
import { lastTokenKl } from '../metrics';
import { refusalTokenIds } from '../refusal';
import type { OrganismData } from './organism-data';
import { trainSentimentClassifier } from './sentiment-classifier';

export interface RefusalFigures {
  readonly candidates: number;
  readonly kept: number;
  readonly chosen: CandidateScore | undefined;
  /**
   * Whether `chosen` is the fallback: when every candidate was dropped, selection's `bestDropped`
   * (the one failing the fewest filters, lowest bypass among those; its `dropped` names them), the
   * same candidate the app's refusal view offers, so its ablation figures can still be shown.
   */
  readonly fallback: boolean;
  readonly harmfulBaseline: number;
  readonly harmfulAblated: number;
  readonly harmlessKlAblated: number;
  readonly harmlessBaseline: number;
  readonly harmlessAdded: number;
}

export interface SweepRow {
  readonly layer: number;
  readonly coefficient: number;
  readonly positive: number;
  readonly negative: number;
}

export interface SteeringFigures {
  readonly refusal: RefusalFigures;
  readonly sentimentPairs: number;
  readonly sweep: readonly SweepRow[];
}

/** Pairs used to build the sentiment vector (issue 4: at most 16). */
export const SENTIMENT_PAIRS = 16;
export const COEFFICIENTS = [-16, -8, -4, 0, 4, 8, 16];
/**
 * Tokens each steered continuation runs for. The corpus's stories carry their sentiment in the
 * event, the reaction and the ending, which 32 tokens from an opening rarely reach.
 */
export const CONTINUATION_TOKENS = 64;

export async function evaluateRefusal(model: Model, data: OrganismData): Promise<RefusalFigures> {
  const [harmfulBuild, harmfulVal, harmfulTest] = thirds(data.harmful.map((r) => r.instruction));
  const [harmlessBuild, harmlessVal, harmlessTest] = thirds(data.harmless.map((r) => r.instruction));
  const candidates = await refusalCandidates(model, { harmful: harmfulBuild, harmless: harmlessBuild });
  const selection = await selectRefusalDirection(model, candidates, {
    harmfulVal,
    harmlessVal,
    refusalTokens: refusalTokenIds(model),
  });
  const chosen = selection.chosen ?? selection.bestDropped;
  const base = {
    candidates: selection.scores.length,
    kept: selection.scores.filter((s) => s.dropped.length === 0).length,
    chosen,
    fallback: selection.bestDropped !== undefined,
    harmfulBaseline: (await refusalRate(model, harmfulTest)).rate,
    harmlessBaseline: (await refusalRate(model, harmlessTest)).rate,
  };
  if (!chosen)
    return { ...base, harmfulAblated: Number.NaN, harmlessKlAblated: Number.NaN, harmlessAdded: Number.NaN };
  const vectors = { r: candidateVector(candidates, chosen.position, chosen.layer) };
  const ablate = compile({ kind: 'ablate', vector: 'r' }, { model, vectors });
  const add = compile({ kind: 'add', vector: 'r', coefficient: 1 }, { model, vectors });
  try {
    return {
      ...base,
      harmfulAblated: (await refusalRate(model, harmfulTest, { hooks: ablate.hooks })).rate,
      harmlessKlAblated: (
        await lastTokenKl(
          model,
          harmlessTest.map((i) => chatPrompt(model, i)),
          ablate.hooks,
        )
      ).mean,
      harmlessAdded: (await refusalRate(model, harmlessTest, { hooks: add.hooks })).rate,
    };
  } finally {
    ablate.dispose();
    add.dispose();
  }
}

/** Layers the sentiment sweep tries: a third, half and two thirds of the way through the model. */
export function sweepLayers(model: Model): number[] {
  const L = model.spec.nLayers;
  return [...new Set([Math.round(L / 3), Math.round(L / 2), Math.round((2 * L) / 3)])];
}

/**
 * The judge: naive Bayes on the corpus's labelled whole stories (their labels are the generator's
 * ground truth); organisms without them fall back to the sentiment pairs' openings.
 */
export function sentimentJudge(data: OrganismData) {
  const stories = data.sentimentStories;
  if (stories.length > 0)
    return trainSentimentClassifier(
      stories.filter((s) => s.sentiment === 'positive').map((s) => s.text),
      stories.filter((s) => s.sentiment === 'negative').map((s) => s.text),
    );
  return trainSentimentClassifier(
    data.sentimentPairs.map((p) => p.positive),
    data.sentimentPairs.map((p) => p.negative),
  );
}

export async function evaluateSentiment(
  model: Model,
  data: OrganismData,
  coefficients: readonly number[] = COEFFICIENTS,
): Promise<SweepRow[]> {
  const judge = sentimentJudge(data);
  const layers = sweepLayers(model);
  const vector = await buildContrastVector(model, {
    pairs: data.sentimentPairs.slice(0, SENTIMENT_PAIRS),
    hook: 'resid_pre',
    layers,
    position: { kind: 'mean' },
    method: 'mean',
  });
  const tok = model.tokenizer!;
  const openings = data.neutralOpenings.map((t) => tok.encode(t, { addSpecialTokens: false }));
  const rows: SweepRow[] = [];
  for (const layer of layers) {
    for (const coefficient of coefficients) {
      const iv: Intervention = { kind: 'add', vector: 'v', coefficient, layers: [layer] };
      const compiled = compile(iv, { model, vectors: { v: vector } });
      try {
        const texts = await replies(model, openings, {
          maxTokens: CONTINUATION_TOKENS,
          hooks: compiled.hooks,
        });
        const labels = texts.map((t) => judge.classify(t));
        const share = (s: string) => labels.filter((l) => l === s).length / labels.length;
        rows.push({ layer, coefficient, positive: share('positive'), negative: share('negative') });
      } finally {
        compiled.dispose();
      }
    }
  }
  return rows;
}

export async function evaluateSteering(model: Model, data: OrganismData): Promise<SteeringFigures> {
  return {
    refusal: await evaluateRefusal(model, data),
    sentimentPairs: Math.min(SENTIMENT_PAIRS, data.sentimentPairs.length),
    sweep: await evaluateSentiment(model, data),
  };
}
