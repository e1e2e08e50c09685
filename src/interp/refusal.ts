/**
 * Refusal analysis (METHODS.md §5): the refusal score of a prompt's next-token distribution, the
 * refusal direction (difference of means at `resid_pre`), and how far harmful and harmless
 * prompts stand apart along it at every layer.
 */
import {
  generateBatch,
  type HookName,
  type Hooks,
  type Model,
  RudderError,
  type RudderTokenizer,
} from '../engine';
import { collectActivations } from './activations';
import { isRefusal } from './behaviour';
import { measure } from './metrics';

/** §5's score log P(R) − log(1 − P(R)) at each prompt's last token. */
export function refusalScores(
  model: Model,
  prompts: readonly (readonly number[])[],
  refusalTokens: readonly number[],
  opts: { readonly hooks?: Hooks; readonly batchSize?: number } = {},
): Promise<Float32Array> {
  return measure(model, prompts, { kind: 'refusal-score', refusal: refusalTokens }, opts);
}

/** The first token of each text (as a reply would start, after the assistant tag), deduplicated. */
export function firstTokenIds(tokenizer: RudderTokenizer, texts: readonly string[]): number[] {
  const ids = texts.map((t) => tokenizer.encode(t, { addSpecialTokens: false })[0]);
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
    meanRow((await collectActivations(model, prompts, [hook], position, { hooks: opts.hooks })).get(hook)!);
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
  const hooks: HookName[] = [
    ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_pre` as const),
    `blocks.${L - 1}.hook_resid_post`,
  ];
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
    const ma = meanRow(rowsA);
    const mb = meanRow(rowsB);
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

function meanRow(rows: readonly Float32Array[]): Float32Array {
  const m = new Float32Array(rows[0]!.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) m[i]! += r[i]! / rows.length;
  return m;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));
const unit = (a: Float32Array) => {
  const n = norm(a);
  return n > 0 ? a.map((x) => x / n) : a;
};
const mean = (a: readonly number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const variance = (a: readonly number[]) => {
  const m = mean(a);
  return a.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, a.length - 1);
};
