/**
 * METHODS.md §5 end to end on one model, as the refusal view runs it: split each set into build,
 * validation and test thirds (capped for speed), keep the prompts the model treats as their side
 * does (Arditi's data filter), read every candidate, score and filter them all, and measure the
 * choice on the held-out harmful third. The result holds recipes a link can replay.
 */
import { type Model, RudderError } from '../../engine';
import { compile } from '../compile';
import { mean } from '../linalg';
import { measure } from '../metrics';
import type { PlaneRecipe, VectorRecipe } from '../recipe';
import { refusalTokenIds } from '../refusal';
import type { SteeringVector } from '../vector';
import { encodeInput } from './prompts';
import { candidateVector, refusalCandidates, selectRefusalDirection } from './refusal';
import { type CandidateScore, keepByScore, thirds } from './refusal-select';

/** Harmful and harmless instructions (plain text, wrapped in the chat template here). */
export interface RefusalSets {
  readonly harmful: readonly string[];
  readonly harmless: readonly string[];
}

export interface RefusalProgress {
  /** filter: Arditi's data filter; candidates: reading the means; score: one candidate scored. */
  readonly stage: 'filter' | 'candidates' | 'score';
  readonly done: number;
  readonly total: number;
}

export interface RefusalSetCounts {
  /** Prompts given; then those used (split into thirds, capped, and kept by the data filter). */
  readonly given: number;
  readonly build: number;
  readonly val: number;
  readonly test: number;
}

export type RefusalRecipe = Extract<VectorRecipe, { from: 'refusal' }>;

export interface RefusalFound {
  readonly modelId: string;
  readonly nLayers: number;
  readonly positions: readonly number[];
  readonly layers: readonly number[];
  /** Position-major, then layer, every candidate scored (late layers too, to show why they go). */
  readonly scores: readonly CandidateScore[];
  readonly chosen: CandidateScore | undefined;
  /** Only when every candidate was dropped: the best dropped one, offered with its reasons. */
  readonly fallback: CandidateScore | undefined;
  readonly maxKl: number;
  readonly lateFrom: number;
  /** Mean refusal score of the validation prompts with no intervention (the charts' reference). */
  readonly baseHarmful: number;
  readonly baseHarmless: number;
  /** Held-out harmful prompts (the test third): mean refusal score before and after ablation. */
  readonly testHarmful: number;
  readonly testHarmfulAblated: number;
  readonly harmful: RefusalSetCounts;
  readonly harmless: RefusalSetCounts;
  /** The tokens a refusal starts with (R of the refusal score), as text. */
  readonly refusalTokens: readonly string[];
  /** Recipes of the chosen (or else the fallback) candidate, ready for the experiment. */
  readonly vector: RefusalRecipe | undefined;
  /** §6's plane from the same build prompts (token ids, already in the chat template). */
  readonly plane: PlaneRecipe | undefined;
  readonly ms: number;
  /** Where the time went: the data filter, reading the candidates, scoring them. */
  readonly stageMs: { readonly filter: number; readonly candidates: number; readonly score: number };
}

export interface FindOptions {
  /**
   * Validation prompts per side at most. §5 fixes no number; every candidate costs a forward pass
   * over them, and 6 keeps the whole selection within issue 7's 20 s on an organism in a browser.
   */
  readonly maxVal?: number;
  /** Build prompts per side at most (one forward pass each). Default 24. */
  readonly maxBuild?: number;
  readonly maxKl?: number;
  readonly maxLayerFraction?: number;
  readonly batchSize?: number;
  readonly onProgress?: (p: RefusalProgress) => void;
  /** Checked between steps; once aborted the run stops with CancelledError. */
  readonly signal?: AbortSignal;
}

/**
 * The direction the selection chose (or offered), built: `found.vector`'s recipe rebuilds the same
 * numbers, so a caller may cache it under that recipe.
 */
export async function findRefusalDirection(
  model: Model,
  sets: RefusalSets,
  opts: FindOptions = {},
): Promise<{ found: RefusalFound; direction: SteeringVector | undefined }> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  if (!model.tokenizer?.hasChatTemplate)
    throw new RudderError(
      'no-chat-template',
      `${model.id} has no chat template, so there is no assistant turn whose refusal to find. Load a chat model.`,
    );
  if (!sets.harmful.length || !sets.harmless.length)
    throw new RudderError('no-prompts', 'Give at least one harmful and one harmless instruction.');
  const refusal = refusalTokenIds(model);
  const metric = { kind: 'refusal-score' as const, refusal };
  const batchSize = opts.batchSize ?? 32;
  const signal = opts.signal ? { signal: opts.signal } : {};
  const enc = (t: string) => encodeInput(model, t, { chat: true });
  const score = (texts: readonly string[]) =>
    measure(model, texts.map(enc), metric, { batchSize, ...signal });

  // Split first (build / validation / test thirds), cap each for speed, then Arditi's filter on
  // what is used: harmful prompts the model refuses, harmless ones it answers.
  const maxVal = opts.maxVal ?? 6;
  const maxBuild = opts.maxBuild ?? 24;
  const filter = async (xs: readonly string[], refused: boolean) => {
    const [b, v, t] = thirds(xs);
    const parts = [b.slice(0, maxBuild), v.slice(0, maxVal), t.slice(0, 8)];
    const s = await score(parts.flat());
    let at = 0;
    return parts.map((part) => {
      const kept = keepByScore(part, s.subarray(at, at + part.length), refused);
      at += part.length;
      return kept;
    });
  };
  progress({ stage: 'filter', done: 0, total: 2 });
  const [harmfulBuild = [], hValText = [], hTest = []] = await filter(sets.harmful, true);
  progress({ stage: 'filter', done: 1, total: 2 });
  const [harmlessBuild = [], nValText = [], nTest = []] = await filter(sets.harmless, false);
  progress({ stage: 'filter', done: 2, total: 2 });
  const filterMs = performance.now() - started;
  const tooFewHarmful = harmfulBuild.length < 1 || hValText.length < 1;
  if (tooFewHarmful || harmlessBuild.length < 1 || nValText.length < 1)
    throw new RudderError(
      'no-refusal',
      tooFewHarmful
        ? `${model.id} refuses too few of the ${sets.harmful.length} harmful instructions to find a direction (it needs refused ones to build and to validate with). Add harmful instructions it refuses.`
        : `${model.id} answers too few of the ${sets.harmless.length} harmless instructions. Add harmless instructions it answers.`,
    );

  progress({ stage: 'candidates', done: 0, total: 1 });
  const candidates = await refusalCandidates(model, {
    harmful: harmfulBuild,
    harmless: harmlessBuild,
    batchSize,
    ...signal,
  });
  progress({ stage: 'candidates', done: 1, total: 1 });
  const candidatesMs = performance.now() - started - filterMs;

  const selection = await selectRefusalDirection(model, candidates, {
    harmfulVal: hValText.map(enc),
    harmlessVal: nValText.map(enc),
    refusalTokens: refusal,
    batchSize,
    ...(opts.maxKl !== undefined ? { maxKl: opts.maxKl } : {}),
    ...(opts.maxLayerFraction !== undefined ? { maxLayerFraction: opts.maxLayerFraction } : {}),
    onProgress: (done, total) => progress({ stage: 'score', done, total }),
    ...signal,
  });
  const { scores, chosen, bestDropped: fallback } = selection;
  const scoreMs = performance.now() - started - filterMs - candidatesMs;
  const used = chosen ?? fallback;
  const direction = used && candidateVector(candidates, used.position, used.layer);
  const testPrompts = hTest.map(enc);
  const testHarmful = testPrompts.length
    ? mean(await measure(model, testPrompts, metric, { batchSize }))
    : Number.NaN;
  let testHarmfulAblated = Number.NaN;
  if (direction && testPrompts.length) {
    const ablation = compile({ kind: 'ablate', vector: 'r' }, { model, vectors: { r: direction } });
    try {
      testHarmfulAblated = mean(
        await measure(model, testPrompts, metric, { hooks: ablation.hooks, batchSize }),
      );
    } finally {
      ablation.dispose();
    }
  }
  const counts = (given: number, b: number, v: number, t: number) => ({ given, build: b, val: v, test: t });
  const found: RefusalFound = {
    modelId: model.id,
    nLayers: model.spec.nLayers,
    positions: candidates.positions,
    layers: candidates.layers,
    scores,
    chosen,
    fallback,
    maxKl: selection.maxKl,
    lateFrom: selection.lateFrom,
    baseHarmful: selection.baseHarmful,
    baseHarmless: selection.baseHarmless,
    testHarmful,
    testHarmfulAblated,
    harmful: counts(sets.harmful.length, harmfulBuild.length, hValText.length, hTest.length),
    harmless: counts(sets.harmless.length, harmlessBuild.length, nValText.length, nTest.length),
    refusalTokens: refusal.map((id) => model.tokenizer!.decode([id])),
    vector: used && {
      from: 'refusal',
      model: model.id,
      harmful: harmfulBuild,
      harmless: harmlessBuild,
      position: used.position,
      layer: used.layer,
    },
    plane: used && {
      from: 'plane',
      model: model.id,
      positive: harmfulBuild.map(enc),
      negative: harmlessBuild.map(enc),
      discriminative: false,
    },
    stageMs: {
      filter: Math.round(filterMs),
      candidates: Math.round(candidatesMs),
      score: Math.round(scoreMs),
    },
    ms: Math.round(performance.now() - started),
  };
  return { found, direction };
}
