/**
 * The refusal direction (Arditi et al. 2024; andyrdt/refusal_direction): candidates are the
 * difference in means of resid_pre[l] between harmful and harmless instructions at every
 * post-instruction template position and layer; selection keeps candidates whose ablation does
 * not move harmless next-token distributions (KL ≤ 0.1), whose addition induces refusal
 * (induce ≥ 0), outside the last 20% of layers, and picks the lowest bypass score. The whole
 * pipeline (refusal-find.ts) and the organisms' steering eval both select through here. A recipe
 * `{ from: 'refusal' }` rebuilds one candidate (buildFromRecipe).
 */
import { CancelledError, hookName, type Model, RudderError, yieldToEventLoop } from '../../engine';
import { collectActivations } from '../activations';
import { meanRows } from '../linalg';
import type { PromptInput } from '../recipe';
import type { SteeringVector } from '../vector';
import { encodeInput, postInstructionLength } from './prompts';
import {
  type CandidateScore,
  CandidateScorer,
  type Choice,
  chooseCandidate,
  dropReasons,
} from './refusal-select';

export interface CandidateOptions {
  readonly harmful: readonly PromptInput[];
  readonly harmless: readonly PromptInput[];
  /**
   * Post-instruction positions, negative from the end (−1 = last). Default: every token the chat
   * template puts after the user's message.
   */
  readonly positions?: readonly number[];
  /** Default every layer. */
  readonly layers?: readonly number[];
  /** Text prompts are wrapped in the chat template (default true). */
  readonly chat?: boolean;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

export interface RefusalCandidates {
  readonly modelId: string;
  readonly positions: readonly number[];
  readonly layers: readonly number[];
  /** r[position index][layer index], d_model wide, at raw norm. */
  readonly directions: readonly (readonly Float32Array[])[];
  readonly harmful: readonly PromptInput[];
  readonly harmless: readonly PromptInput[];
}

export async function refusalCandidates(model: Model, opts: CandidateOptions): Promise<RefusalCandidates> {
  const chat = opts.chat ?? true;
  const encode = (p: PromptInput) => encodeInput(model, p, { chat });
  const harmful = opts.harmful.map(encode);
  const harmless = opts.harmless.map(encode);
  if (!harmful.length || !harmless.length)
    throw new RudderError('no-prompts', 'Refusal candidates need harmful and harmless prompts.');
  const positions = opts.positions ?? defaultPositions(model, chat);
  const layers = opts.layers ?? [...Array(model.spec.nLayers).keys()];
  const hooks = layers.map((l) => hookName('resid_pre', l));
  const d = model.spec.dModel;
  // One pass per prompt reads every position; each candidate position is then a slice.
  const means = async (prompts: number[][]) => {
    const acts = await collectActivations(
      model,
      prompts,
      hooks,
      { kind: 'all' },
      { batchSize: opts.batchSize, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    return hooks.map((h) =>
      positions.map((pos) =>
        meanRows(
          acts.get(h)!.map((rows, i) => {
            const t = prompts[i]!.length + pos;
            if (t < 0)
              throw new RudderError(
                'bad-position',
                `Position ${pos} is outside a ${prompts[i]!.length}-token prompt.`,
              );
            return rows.subarray(t * d, (t + 1) * d);
          }),
        ),
      ),
    );
  };
  const a = await means(harmful);
  const b = await means(harmless);
  return {
    modelId: model.id,
    positions,
    layers,
    directions: positions.map((_, i) => layers.map((_, j) => a[j]![i]!.map((x, k) => x - b[j]![i]![k]!))),
    harmful: opts.harmful,
    harmless: opts.harmless,
  };
}

function defaultPositions(model: Model, chat: boolean): number[] {
  const n = chat && model.tokenizer?.hasChatTemplate ? postInstructionLength(model) : 1;
  return Array.from({ length: Math.max(n, 1) }, (_, i) => i - Math.max(n, 1));
}

/** Candidate (position, layer) as a resid_pre vector carrying its recipe. */
export function candidateVector(c: RefusalCandidates, position: number, layer: number): SteeringVector {
  const i = c.positions.indexOf(position);
  const j = c.layers.indexOf(layer);
  if (i < 0 || j < 0)
    throw new RudderError('bad-candidate', `No candidate at position ${position}, layer ${layer}.`);
  const r = c.directions[i]![j]!;
  return {
    modelId: c.modelId,
    hook: 'resid_pre',
    width: r.length,
    rows: 1,
    layers: { [layer]: r },
    recipe: {
      from: 'refusal',
      model: c.modelId,
      harmful: [...c.harmful],
      harmless: [...c.harmless],
      position,
      layer,
    },
  };
}

export interface SelectionOptions {
  readonly harmfulVal: readonly PromptInput[];
  readonly harmlessVal: readonly PromptInput[];
  /** Token ids that start a refusal (R of the refusal score). */
  readonly refusalTokens: readonly number[];
  readonly chat?: boolean;
  /** Default 0.1. */
  readonly maxKl?: number;
  /** Candidates at layer ≥ this fraction of the depth are dropped. Default 0.8. */
  readonly maxLayerFraction?: number;
  /** Prompts per forward pass (default 16). */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked before each candidate (after yielding to the event loop); once aborted, CancelledError. */
  readonly signal?: AbortSignal;
}

export interface RefusalSelection extends Choice {
  /** Position-major, then layer: every candidate scored (late layers too, to show why they go). */
  readonly scores: readonly CandidateScore[];
  readonly maxKl: number;
  readonly lateFrom: number;
  /** Mean refusal score of the validation prompts with no intervention. */
  readonly baseHarmful: number;
  readonly baseHarmless: number;
}

/**
 * Scores every candidate on the validation prompts and applies §5's filters: `chosen` passed all
 * of them; when none did, `bestDropped` is the one failing the fewest, lowest bypass among those.
 */
export async function selectRefusalDirection(
  model: Model,
  c: RefusalCandidates,
  opts: SelectionOptions,
): Promise<RefusalSelection> {
  const chat = opts.chat ?? true;
  const harmful = opts.harmfulVal.map((p) => encodeInput(model, p, { chat }));
  const harmless = opts.harmlessVal.map((p) => encodeInput(model, p, { chat }));
  if (!harmful.length || !harmless.length)
    throw new RudderError(
      'no-prompts',
      'Refusal selection needs validation prompts: give at least one harmful and one harmless one.',
    );
  const filters = {
    maxKl: opts.maxKl ?? 0.1,
    lateFrom: (opts.maxLayerFraction ?? 0.8) * model.spec.nLayers,
  };
  const scores: CandidateScore[] = [];
  const total = c.positions.length * c.layers.length;
  opts.onProgress?.(0, total);
  const scorer = await CandidateScorer.create(model, harmful, harmless, opts.refusalTokens, opts.batchSize);
  try {
    for (const position of c.positions) {
      for (const layer of c.layers) {
        await yieldToEventLoop();
        if (opts.signal?.aborted) throw new CancelledError();
        const { bypass, induce, kl } = await scorer.score(candidateVector(c, position, layer));
        const dropped = dropReasons({ layer, induce, kl }, filters);
        scores.push({ position, layer, bypass, induce, kl, dropped });
        opts.onProgress?.(scores.length, total);
      }
    }
  } finally {
    scorer.dispose();
  }
  return {
    ...chooseCandidate(scores),
    scores,
    ...filters,
    baseHarmful: scorer.baseHarmful,
    baseHarmless: scorer.baseHarmless,
  };
}
