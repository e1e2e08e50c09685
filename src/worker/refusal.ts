import {
  CancelledError,
  type HookName,
  type Model,
  type ModelSource,
  RudderError,
  yieldToEventLoop,
} from '../engine';
import {
  candidateVector,
  collectActivations,
  compile,
  encodeInput,
  keepByScore,
  measure,
  type PromptInput,
  REFUSAL_PREFIXES,
  type RefusalByLayer,
  readOrganismData,
  refusalByLayer,
  refusalCandidates,
  refusalCircuit,
  replyStartTokens,
  type SteeringVector,
  selectRefusalDirection,
  thirds,
} from '../interp';
import type {
  PlaneRecipe,
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProfileRequest,
  RefusalProgress,
  RefusalSets,
  RefusalSetsRequest,
} from './api';
import { type RefusalRecipe, recipeKey, seed } from './refusal-vector';

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
  /** Checked between steps; true stops the run with CancelledError. */
  readonly stale?: () => boolean;
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, x) => a + x, 0) / Math.max(1, xs.length);

/** The ids that start a refusal: the first token of each refusal prefix in this vocabulary. */
export function refusalTokenIds(model: Model): number[] {
  const tok = model.tokenizer;
  if (!tok) throw new RudderError('no-tokenizer', `${model.id} has no tokenizer.json; refusals are text.`);
  const ids = REFUSAL_PREFIXES.map((p) => tok.encode(p, { addSpecialTokens: false })[0]);
  return [...new Set(ids.filter((id): id is number => id !== undefined))];
}

/** METHODS.md §5 on one model: the data filter, the candidates, every candidate scored, the choice. */
export async function findRefusalDirection(
  model: Model,
  sets: RefusalSets,
  opts: FindOptions = {},
): Promise<RefusalFound> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const check = async () => {
    await yieldToEventLoop();
    if (opts.stale?.()) throw new CancelledError();
  };
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
  const enc = (t: string) => encodeInput(model, t, { chat: true });
  const score = (texts: readonly string[]) => measure(model, texts.map(enc), metric, { batchSize });

  // Split first (build / validation / test thirds), cap each for speed, then Arditi's filter on
  // what is used: harmful prompts the model refuses, harmless ones it answers.
  const maxVal = opts.maxVal ?? 6;
  const maxBuild = opts.maxBuild ?? 24;
  const cap = (xs: readonly string[]) => {
    const [b, v, t] = thirds(xs);
    return [b.slice(0, maxBuild), v.slice(0, maxVal), t.slice(0, 8)] as const;
  };
  const filter = async (xs: readonly string[], refused: boolean) => {
    const parts = cap(xs);
    const flat = parts.flat();
    const s = await score(flat);
    let at = 0;
    return parts.map((part) => {
      const kept = keepByScore(part, s.subarray(at, at + part.length), refused);
      at += part.length;
      return kept;
    });
  };
  progress({ stage: 'filter', done: 0, total: 2 });
  const [harmfulBuild = [], hValText = [], hTest = []] = await filter(sets.harmful, true);
  await check();
  progress({ stage: 'filter', done: 1, total: 2 });
  const [harmlessBuild = [], nValText = [], nTest = []] = await filter(sets.harmless, false);
  progress({ stage: 'filter', done: 2, total: 2 });
  const filterMs = performance.now() - started;
  const tooFew = (xs: readonly string[]) => xs.length < 1;
  if ([harmfulBuild, hValText].some(tooFew) || [harmlessBuild, nValText].some(tooFew))
    throw new RudderError(
      'no-refusal',
      [harmfulBuild, hValText].some(tooFew)
        ? `${model.id} refuses too few of the ${sets.harmful.length} harmful instructions to find a direction (it needs refused ones to build and to validate with). Add harmful instructions it refuses.`
        : `${model.id} answers too few of the ${sets.harmless.length} harmless instructions. Add harmless instructions it answers.`,
    );
  const harmfulVal = hValText.map(enc);
  const harmlessVal = nValText.map(enc);

  await check();
  progress({ stage: 'candidates', done: 0, total: 1 });
  const candidates = await refusalCandidates(model, {
    harmful: harmfulBuild,
    harmless: harmlessBuild,
    batchSize,
  });
  progress({ stage: 'candidates', done: 1, total: 1 });
  const candidatesMs = performance.now() - started - filterMs;

  const L = model.spec.nLayers;
  await check();
  const selection = await selectRefusalDirection(model, candidates, {
    harmfulVal,
    harmlessVal,
    refusalTokens: refusal,
    batchSize,
    ...(opts.maxKl !== undefined ? { maxKl: opts.maxKl } : {}),
    ...(opts.maxLayerFraction !== undefined ? { maxLayerFraction: opts.maxLayerFraction } : {}),
    onProgress: (done, total) => progress({ stage: 'score', done, total }),
    ...(opts.stale ? { stale: opts.stale } : {}),
  });
  const { scores, chosen, bestDropped: fallback } = selection;
  const scoreMs = performance.now() - started - filterMs - candidatesMs;
  const used = chosen ?? fallback;
  const vector: RefusalRecipe | undefined = used && {
    from: 'refusal',
    model: model.id,
    harmful: harmfulBuild,
    harmless: harmlessBuild,
    position: used.position,
    layer: used.layer,
  };
  if (used && vector) seed(model, vector, candidateVector(candidates, used.position, used.layer));
  const plane: PlaneRecipe | undefined = used && {
    from: 'plane',
    model: model.id,
    positive: harmfulBuild.map(enc),
    negative: harmlessBuild.map(enc),
    discriminative: false,
  };
  let testHarmfulAblated = Number.NaN;
  const testPrompts = hTest.map(enc);
  const testHarmful = testPrompts.length
    ? mean(await measure(model, testPrompts, metric, { batchSize }))
    : Number.NaN;
  if (used && testPrompts.length) {
    const r = { r: candidateVector(candidates, used.position, used.layer) };
    const ablation = compile({ kind: 'ablate', vector: 'r' }, { model, vectors: r });
    try {
      testHarmfulAblated = mean(
        await measure(model, testPrompts, metric, { hooks: ablation.hooks, batchSize }),
      );
    } finally {
      ablation.dispose();
    }
  }
  const counts = (given: number, b: number, v: number, t: number) => ({ given, build: b, val: v, test: t });
  return {
    modelId: model.id,
    nLayers: L,
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
    vector,
    plane,
    stageMs: {
      filter: Math.round(filterMs),
      candidates: Math.round(candidatesMs),
      score: Math.round(scoreMs),
    },
    ms: Math.round(performance.now() - started),
  };
}

const references = new WeakMap<Model, { key: string; refs: RefusalByLayer }>();

/** Per-layer projection of one prompt onto the recipe's unit direction, against its build sets. */
export async function refusalProfile(
  model: Model,
  req: RefusalProfileRequest,
  r: SteeringVector,
): Promise<RefusalProfile> {
  const direction = r.layers[req.vector.layer]!;
  const prompt = encodeInput(model, req.prompt || ' ', { chat: req.chat });
  const position = prompt.length + req.vector.position >= 0 ? req.vector.position : -1;
  const enc = (t: PromptInput) => encodeInput(model, t, { chat: true });
  // The references depend on the direction only: computed once, not on every prompt edit.
  const key = recipeKey(req.vector);
  const cachedRefs = references.get(model);
  const refs =
    cachedRefs?.key === key
      ? cachedRefs.refs
      : await refusalByLayer(model, req.vector.harmful.map(enc), req.vector.harmless.map(enc), {
          direction,
          position: req.vector.position,
        });
  references.set(model, { key, refs });
  const L = model.spec.nLayers;
  const hooks: HookName[] = [
    ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_pre` as const),
    `blocks.${L - 1}.hook_resid_post`,
  ];
  const acts = await collectActivations(model, [prompt], hooks, { kind: 'index', index: position });
  let n = 0;
  for (const x of direction) n += x * x;
  n = Math.sqrt(n) || 1;
  const project = (row: Float32Array) => row.reduce((s, x, i) => s + (x * direction[i]!) / n, 0);
  return {
    labels: refs.labels,
    prompt: hooks.map((h) => project(acts.get(h)![0]!)),
    harmful: [...refs.harmful],
    harmless: [...refs.harmless],
    position,
  };
}

/** The refusal circuit (METHODS.md §9) on the first `maxPrompts` instructions of each set (default 16). */
export async function findCircuit(
  model: Model,
  sets: RefusalSets,
  opts: {
    readonly maxPrompts?: number;
    readonly onProgress?: (p: { stage: string; done: number; total: number }) => void;
  } = {},
): Promise<RefusalCircuitResult> {
  const started = performance.now();
  const enc = (t: string) => encodeInput(model, t, { chat: true });
  const n = opts.maxPrompts ?? 16;
  const harmful = sets.harmful.slice(0, n).map(enc);
  const harmless = sets.harmless.slice(0, n).map(enc);
  opts.onProgress?.({ stage: 'reply starts', done: 0, total: 1 });
  const tokens = await replyStartTokens(model, harmful, harmless, { batchSize: 16 });
  const circuit = await refusalCircuit(model, harmful, harmless, {
    ...tokens,
    onProgress: (stage, done, total) => opts.onProgress?.({ stage, done, total }),
  });
  const text = (ids: readonly number[]) => ids.map((id) => model.tokenizer!.decode([id]));
  return {
    circuit,
    refuseTokens: text(tokens.refuse),
    complyTokens: text(tokens.comply),
    nLayers: model.spec.nLayers,
    nHeads: model.spec.nHeads,
    prompts: harmful.length,
    ms: Math.round(performance.now() - started),
  };
}

/** The model's own sets, read once per model from its folder. */
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
