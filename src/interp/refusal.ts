/**
 * Refusal analysis (METHODS.md §5): the refusal score of a prompt's next-token distribution, the
 * refusal direction (difference of means at `resid_pre`), and how far harmful and harmless
 * prompts stand apart along it at every layer.
 */
import { generateBatch, type HookName, type Hooks, type Model, RudderError } from '../engine';
import { collectActivations } from './activations';
import { isRefusal, REFUSAL_PREFIXES } from './behaviour';
import { encodeInput } from './build/prompts';
import { dot, mean, meanRows, norm, unit } from './linalg';
import { measure } from './metrics';
import type { PromptInput } from './recipe';

/** §5's score log P(R) − log(1 − P(R)) at each prompt's last token. */
export function refusalScores(
  model: Model,
  prompts: readonly (readonly number[])[],
  refusalTokens: readonly number[],
  opts: { readonly hooks?: Hooks; readonly batchSize?: number } = {},
): Promise<Float32Array> {
  return measure(model, prompts, { kind: 'refusal-score', refusal: refusalTokens }, opts);
}

/**
 * R of METHODS.md §5: the first token of each refusal opening (REFUSAL_PREFIXES) in this
 * vocabulary, as a reply starts right after the chat template's assistant tag. `afterText` adds
 * each opening written after a space too, for a prompt that is plain text rather than a chat turn
 * (byte-level tokenizers spell "I" and " I" differently, and a continuation may start with either).
 */
export function refusalTokenIds(model: Model, opts: { readonly afterText?: boolean } = {}): number[] {
  const tok = model.tokenizer;
  if (!tok)
    throw new RudderError('no-tokenizer', `${model.id} has no tokenizer.json; refusals are judged on text.`);
  const first = (t: string) => tok.encode(t, { addSpecialTokens: false })[0];
  const ids = REFUSAL_PREFIXES.flatMap((p) => (opts.afterText ? [first(p), first(` ${p}`)] : [first(p)]));
  return [...new Set(ids.filter((id): id is number => id !== undefined))];
}

/**
 * The tokens this model starts its refusals with (replies to harmful prompts that are refusals)
 * and its answers with (replies to harmless prompts that are not), from short greedy replies:
 * R and its counterpart for the refuse-vs-comply direction, as the model itself uses them.
 */
export async function replyStartTokens(
  model: Model,
  harmful: readonly (readonly number[])[],
  harmless: readonly (readonly number[])[],
  opts: { readonly maxTokens?: number; readonly batchSize?: number } = {},
): Promise<{ refuse: number[]; comply: number[] }> {
  const tok = model.tokenizer;
  if (!tok)
    throw new RudderError('no-tokenizer', `${model.id} has no tokenizer.json; refusals are judged on text.`);
  const starts = async (prompts: readonly (readonly number[])[], refusing: boolean) => {
    const counts = new Map<number, number>();
    const batch = opts.batchSize ?? 16;
    for (let i = 0; i < prompts.length; i += batch) {
      const out = await generateBatch(model, prompts.slice(i, i + batch), { maxTokens: opts.maxTokens ?? 6 });
      for (const r of out) {
        const first = r.tokens[0];
        if (first === undefined || isRefusal(tok.decode(r.tokens, { skipSpecialTokens: true })) !== refusing)
          continue;
        counts.set(first, (counts.get(first) ?? 0) + 1);
      }
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  };
  const refuse = await starts(harmful, true);
  const comply = (await starts(harmless, false)).filter((id) => !refuse.includes(id));
  if (!refuse.length || !comply.length)
    throw new RudderError(
      'no-refusal',
      `${model.id} ${refuse.length ? 'refuses every harmless prompt' : 'refuses none of the harmful prompts'}: there is no refusal to analyse.`,
    );
  return { refuse, comply };
}

/**
 * r = mean_harmful − mean_harmless of `resid_pre[layer]` at one position (−1: the last token), in
 * the residual's own units (add it with c = ±1, or normalise it for directional ablation).
 */
export async function refusalDirection(
  model: Model,
  harmful: readonly (readonly number[])[],
  harmless: readonly (readonly number[])[],
  layer: number,
  opts: { readonly position?: number; readonly hooks?: Hooks } = {},
): Promise<Float32Array> {
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.spec.nLayers)
    throw new RudderError(
      'bad-layer',
      `Layer ${layer} does not exist (the model has ${model.spec.nLayers}).`,
    );
  const hook: HookName = `blocks.${layer}.hook_resid_pre`;
  const position = { kind: 'index', index: opts.position ?? -1 } as const;
  const read = async (prompts: readonly (readonly number[])[]) =>
    meanRows((await collectActivations(model, prompts, [hook], position, { hooks: opts.hooks })).get(hook)!);
  const a = await read(harmful);
  const b = await read(harmless);
  return a.map((x, i) => x - b[i]!);
}

export interface RefusalByLayer {
  /** `resid_pre 0` … `resid_pre L−1`, then `resid_post L−1` (the final residual). */
  readonly labels: readonly string[];
  /** Mean projection onto the unit refusal direction, per point. */
  readonly harmful: Float32Array;
  readonly harmless: Float32Array;
  /** (mean harmful − mean harmless) / pooled standard deviation of the projections. */
  readonly separation: Float32Array;
  /** ‖mean harmful − mean harmless‖ per point. */
  readonly directionNorm: Float32Array;
  /** Per prompt, [points × prompts]. */
  readonly harmfulPerPrompt: Float32Array;
  readonly harmlessPerPrompt: Float32Array;
}

/**
 * Where refusal becomes readable: at every residual point, harmful and harmless prompts projected
 * onto a unit refusal direction, either the one given (e.g. from a chosen layer) or each point's
 * own difference of means (in-sample, so its separation is optimistic on few prompts).
 */
export async function refusalByLayer(
  model: Model,
  harmful: readonly (readonly number[])[],
  harmless: readonly (readonly number[])[],
  opts: { readonly position?: number; readonly direction?: Float32Array; readonly hooks?: Hooks } = {},
): Promise<RefusalByLayer> {
  const L = model.spec.nLayers;
  const d = model.spec.dModel;
  if (opts.direction && opts.direction.length !== d)
    throw new RudderError(
      'bad-vector',
      `The direction has ${opts.direction.length} values; the residual has ${d}.`,
    );
  const hooks = residualPoints(L);
  const position = { kind: 'index', index: opts.position ?? -1 } as const;
  const a = await collectActivations(model, harmful, hooks, position, { hooks: opts.hooks });
  const b = await collectActivations(model, harmless, hooks, position, { hooks: opts.hooks });
  const P = hooks.length;
  const out = {
    harmful: new Float32Array(P),
    harmless: new Float32Array(P),
    separation: new Float32Array(P),
    directionNorm: new Float32Array(P),
    harmfulPerPrompt: new Float32Array(P * harmful.length),
    harmlessPerPrompt: new Float32Array(P * harmless.length),
  };
  hooks.forEach((h, i) => {
    const rowsA = a.get(h)!;
    const rowsB = b.get(h)!;
    const ma = meanRows(rowsA);
    const mb = meanRows(rowsB);
    const diff = ma.map((x, j) => x - mb[j]!);
    out.directionNorm[i] = norm(diff);
    const dir = unit(opts.direction ?? diff);
    const pa = rowsA.map((r) => dot(r, dir));
    const pb = rowsB.map((r) => dot(r, dir));
    out.harmfulPerPrompt.set(pa, i * harmful.length);
    out.harmlessPerPrompt.set(pb, i * harmless.length);
    out.harmful[i] = mean(pa);
    out.harmless[i] = mean(pb);
    const pooled = Math.sqrt((variance(pa) + variance(pb)) / 2);
    out.separation[i] = pooled > 0 ? (out.harmful[i]! - out.harmless[i]!) / pooled : 0;
  });
  const labels = [...Array.from({ length: L }, (_, l) => `resid_pre ${l}`), `resid_post ${L - 1}`];
  return { labels, ...out };
}

/** One prompt along a refusal direction, against the means of the prompts it was built from. */
export interface RefusalProfile {
  /** `resid_pre 0` … `resid_pre L−1`, `resid_post L−1`. */
  readonly labels: readonly string[];
  /** Projection of the prompt onto the unit direction at each point. */
  readonly prompt: readonly number[];
  /** Mean projection of the recipe's harmful and harmless prompts. */
  readonly harmful: readonly number[];
  readonly harmless: readonly number[];
  /** The position read (the direction's own, or −1 for a prompt too short for it). */
  readonly position: number;
}

/** Where a direction made from `harmful` and `harmless` (chat-templated) puts them at every residual point. */
export function refusalReferences(
  model: Model,
  sets: { readonly harmful: readonly PromptInput[]; readonly harmless: readonly PromptInput[] },
  direction: Float32Array,
  position: number,
): Promise<RefusalByLayer> {
  const enc = (t: PromptInput) => encodeInput(model, t, { chat: true });
  return refusalByLayer(model, sets.harmful.map(enc), sets.harmless.map(enc), { direction, position });
}

/**
 * The per-point projection of one prompt onto the direction at its position (the last token for a
 * prompt shorter than that), beside the references' means (refusalReferences, same direction).
 */
export async function refusalProfile(
  model: Model,
  prompt: readonly number[],
  direction: Float32Array,
  position: number,
  references: RefusalByLayer,
): Promise<RefusalProfile> {
  const at = prompt.length + position >= 0 ? position : -1;
  const hooks = residualPoints(model.spec.nLayers);
  const acts = await collectActivations(model, [prompt], hooks, { kind: 'index', index: at });
  const dir = unit(direction);
  return {
    labels: references.labels,
    prompt: hooks.map((h) => dot(acts.get(h)![0]!, dir)),
    harmful: [...references.harmful],
    harmless: [...references.harmless],
    position: at,
  };
}

/** resid_pre of every layer, then the final resid_post: every point the residual passes. */
function residualPoints(L: number): HookName[] {
  return [
    ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_pre` as const),
    `blocks.${L - 1}.hook_resid_post`,
  ];
}

const variance = (a: readonly number[]) => {
  const m = mean(a);
  return a.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, a.length - 1);
};
