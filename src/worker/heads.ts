/**
 * The head gates view's worker side: one number per head for the current prompt (direct logit
 * attribution, patching effect on the refusal score, attention entropy), each head's attention
 * pattern, and the head means that mean-ablation gates put in a head's place.
 *
 * One `HeadsSession` per loaded model. It keeps the organism's datasets (read once), the head
 * means (computed once over the reference set) and the last prompt's attention patterns, so that
 * hovering over heads reads numbers already on this side instead of running the model again.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CancelledError,
  disposeResult,
  type HookName,
  type Model,
  type ModelSource,
  RudderError,
  yieldToEventLoop,
} from '../engine';
import {
  comparePatching,
  directLogitAttribution,
  type HeadMeans,
  headMeans,
  type OrganismData,
  readOrganismData,
  refusalScores,
  refusalTokenIds,
} from '../interp';
import type { AttentionPattern, HeadScores, HeadScoresRequest, NextToken } from './api';
import { JobSlot } from './job-slot';

/** How many next tokens a person can pick the logit difference from. */
const NEXT_TOKENS = 10;

/** Turns text into prompt tokens the way the request asks (chat template or not). */
export type Encode = (text: string) => number[];

/** What scoring needs of the request besides the prompt's tokens. */
export type ScoresOptions = Omit<HeadScoresRequest, 'experiment'> & { readonly chat?: boolean };

export class HeadsSession {
  /** Scoring runs in the slot (a newer scoring stops an older one); hovering and gates beside it. */
  private readonly slot = new JobSlot();
  private data: Promise<OrganismData | undefined> | undefined;
  private means: { key: string; means: HeadMeans } | undefined;
  /** The shipped request sets as tokens, by set and chat template. */
  private readonly encoded = new Map<string, number[][]>();
  private patterns: { key: string; layers: Promise<Float32Array[]> } | undefined;

  constructor(
    readonly model: Model,
    private readonly source?: ModelSource,
  ) {}

  /** Settles once no job of this session is using the model (wait for it before disposing). */
  idle(): Promise<void> {
    return this.slot.idle();
  }

  cancel(): void {
    this.slot.abort();
  }

  /** Scores every head; a newer call aborts an older one between its passes. */
  scores(tokens: readonly number[], request: ScoresOptions, encode: Encode): Promise<HeadScores> {
    return this.slot.run(async (signal) => {
      const started = performance.now();
      await yieldToEventLoop();
      if (signal.aborted) throw new CancelledError();
      const { nLayers, nHeads } = this.model.spec;
      // Only attribution picks tokens from them; the other measures skip the extra pass.
      const next = request.measure === 'dla' ? await nextTokens(this.model, tokens) : [];
      const base = { measure: request.measure, nLayers, nHeads, tokens: this.texts(tokens), next };
      const done = (extra: Omit<HeadScores, keyof typeof base | 'ms'>): HeadScores => {
        if (signal.aborted) throw new CancelledError();
        return { ...base, ...extra, ms: Math.round(performance.now() - started) };
      };
      switch (request.measure) {
        case 'entropy':
          return done({ values: entropies(await this.patternsOf(tokens), nHeads, tokens.length) });
        case 'dla': {
          const target = pick(this.model, next, request.tokens?.target, 0);
          const baseline = pick(this.model, next, request.tokens?.baseline, 1);
          const dla = await directLogitAttribution(this.model, [tokens], {
            target: [target.id],
            baseline: [baseline.id],
          });
          return done({ values: [...dla.heads], dla: { target, baseline, logitDiff: dla.logitDiff } });
        }
        case 'patch': {
          const refusal = refusalTokenIds(this.model, { afterText: true });
          const [clean] = await refusalScores(this.model, [tokens], refusal);
          if (signal.aborted) throw new CancelledError();
          const counterpart = await this.counterpart(tokens, clean!, request, encode);
          // Exact patching and its one-backward-pass estimate on the same cells (METHODS.md §9).
          const { exact, attribution, correlation } = await comparePatching(
            this.model,
            { source: tokens, target: counterpart.tokens },
            { kind: 'heads', positions: 'last' },
            { kind: 'refusal-score', refusal },
          );
          return done({
            values: [...exact.effect],
            patch: {
              counterpart: counterpart.text,
              from: counterpart.from,
              clean: exact.source,
              corrupt: exact.target,
              attribution: [...attribution.effect],
              correlation,
            },
          });
        }
      }
    });
  }

  /** One head's attention pattern over the prompt (all heads are read once per prompt). */
  pattern(tokens: readonly number[], layer: number, head: number): Promise<AttentionPattern> {
    return this.slot.alongside(async () => {
      const { nLayers, nHeads } = this.model.spec;
      if (
        !Number.isInteger(layer) ||
        layer < 0 ||
        layer >= nLayers ||
        !Number.isInteger(head) ||
        head < 0 ||
        head >= nHeads
      )
        throw new RudderError(
          'bad-head',
          `There is no head L${layer}.H${head} (the model has ${nLayers} layers of ${nHeads} heads).`,
        );
      const all = (await this.patternsOf(tokens))[layer]!;
      const T = tokens.length;
      const weights = Array.from({ length: T }, (_, q) =>
        Array.from(all.subarray((head * T + q) * T, (head * T + q + 1) * T)),
      );
      return { layer, head, tokens: this.texts(tokens), weights };
    });
  }

  /**
   * The head means a mean-ablation gate replaces a head's output with. The reference set is the
   * organism's neutral story openings, or `fallback` (the prompt being run) for a model that
   * ships none.
   */
  headMeans(fallback: readonly number[]): Promise<HeadMeans> {
    return this.slot.alongside(() => this.meansFor(fallback));
  }

  private async meansFor(fallback: readonly number[]): Promise<HeadMeans> {
    const openings = (await this.datasets())?.neutralOpenings ?? [];
    const tok = this.model.tokenizer;
    const prompts =
      openings.length > 0 && tok
        ? openings.map((t) => tok.encode(t)).filter((p) => p.length > 0)
        : [fallback];
    const key = openings.length > 0 ? 'openings' : JSON.stringify(fallback);
    if (this.means?.key === key) return this.means.means;
    const means = await headMeans(this.model, prompts);
    this.means = { key, means };
    return means;
  }

  private async counterpart(
    tokens: readonly number[],
    clean: number,
    request: ScoresOptions,
    encode: Encode,
  ): Promise<{ text: string; tokens: number[]; from: 'harmless' | 'harmful' | 'given' }> {
    if (request.counterpart?.trim()) {
      return { text: request.counterpart, tokens: encode(request.counterpart), from: 'given' };
    }
    const data = await this.datasets();
    // A refused prompt is compared with a request the model answers, and the other way round.
    const from = clean > 0 ? 'harmless' : 'harmful';
    const set = data?.[from] ?? [];
    if (set.length === 0)
      throw new RudderError(
        'no-reference',
        `${this.model.id} ships no ${from} requests to compare the prompt with: type a counterpart prompt.`,
      );
    // The closest in length lines up best with the prompt (patching aligns positions from the end).
    // Encoding a set through the chat template takes longer than the patching itself: once per set.
    const key = `${from}|${request.chat === true}`;
    let encoded = this.encoded.get(key);
    if (!encoded) {
      encoded = set.map((r) => encode(r.instruction));
      this.encoded.set(key, encoded);
    }
    let best = { text: '', tokens: [] as number[], gap: Number.POSITIVE_INFINITY };
    for (const [i, r] of set.entries()) {
      const t = encoded[i]!;
      const gap = Math.abs(t.length - tokens.length);
      if (gap < best.gap) best = { text: r.instruction, tokens: t, gap };
    }
    return { text: best.text, tokens: best.tokens, from };
  }

  /** The organism's datasets beside the model, read once (undefined for a model that ships none). */
  datasets(): Promise<OrganismData | undefined> {
    const source = this.source;
    this.data ??= source ? readOrganismData(source).catch(() => undefined) : Promise.resolve(undefined);
    return this.data;
  }

  /**
   * Every layer's pattern [heads, query, key] for the prompt, read once per prompt (the promise is
   * kept, so hovering over several heads while it runs still runs the model once).
   */
  private patternsOf(tokens: readonly number[]): Promise<Float32Array[]> {
    const key = tokens.join(',');
    if (this.patterns?.key === key) return this.patterns.layers;
    const names = Array.from(
      { length: this.model.spec.nLayers },
      (_, l) => `blocks.${l}.attn.hook_pattern` as HookName,
    );
    const r = this.model.run(tokens, { cache: names, logits: 'none' });
    const layers = Promise.all(
      names.map(async (n) => (await r.cache.get(n)!.data()) as Float32Array),
    ).finally(() => disposeResult(r));
    const entry = { key, layers };
    this.patterns = entry;
    // A failed read is not kept: the next hover tries again.
    layers.catch(() => {
      if (this.patterns === entry) this.patterns = undefined;
    });
    return layers;
  }

  private texts(tokens: readonly number[]): string[] {
    const tok = this.model.tokenizer;
    return tokens.map((id) => (tok ? tok.tokenString(id) : `#${id}`));
  }
}

/** The model's most likely next tokens after the prompt. */
async function nextTokens(model: Model, tokens: readonly number[]): Promise<NextToken[]> {
  const r = model.run(tokens, { logits: 'last' });
  let top: { values: tf.Tensor; indices: tf.Tensor };
  try {
    top = tf.tidy(() =>
      tf.topk(tf.softmax(tf.reshape(r.logits!, [-1])), Math.min(NEXT_TOKENS, model.spec.vocabSize)),
    );
  } finally {
    disposeResult(r);
  }
  let values: tf.TypedArray;
  let indices: tf.TypedArray;
  try {
    [values, indices] = await Promise.all([top.values.data(), top.indices.data()]);
  } finally {
    tf.dispose([top.values, top.indices]);
  }
  const tok = model.tokenizer;
  return Array.from(indices, (id, i) => ({
    id,
    text: tok ? tok.tokenString(id) : `#${id}`,
    prob: values[i]!,
  }));
}

/** The chosen token, or the `rank`-th most likely next one. */
function pick(model: Model, next: readonly NextToken[], id: number | undefined, rank: number): NextToken {
  if (id === undefined) return next[rank] ?? next[0]!;
  if (!Number.isInteger(id) || id < 0 || id >= model.spec.vocabSize)
    throw new RudderError(
      'bad-token',
      `Token ${id} is not in the vocabulary (0 to ${model.spec.vocabSize - 1}).`,
    );
  return (
    next.find((t) => t.id === id) ?? {
      id,
      text: model.tokenizer?.tokenString(id) ?? `#${id}`,
      prob: Number.NaN,
    }
  );
}

/** Entropy (nats) of each head's attention from the last position, [layers × heads]. */
function entropies(layers: readonly Float32Array[], nHeads: number, T: number): number[] {
  const out: number[] = [];
  for (const p of layers) {
    for (let h = 0; h < nHeads; h++) {
      const row = p.subarray((h * T + T - 1) * T, (h * T + T) * T);
      let e = 0;
      for (const w of row) if (w > 0) e -= w * Math.log(w);
      out.push(e);
    }
  }
  return out;
}
