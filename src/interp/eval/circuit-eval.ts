/**
 * Checking a refusal circuit on held-out prompts: knock the gate heads out together and measure
 * how often the model still refuses harmful requests, and how far its next-token distribution
 * moves on harmless ones (issue 5: refusal at least halved, harmless KL under 0.1).
 */
import type { Model } from '../../engine';
import { generateBatch } from '../../engine';
import { isRefusal } from '../behaviour';
import { type HeadMeans, type HeadRef, headGateHooks, headMeans } from '../heads';
import { lastTokenKl, measure, refusalProbability } from '../metrics';

export interface GateAblation {
  readonly gates: readonly string[];
  readonly ablation: 'zero' | 'mean';
  /** Share of harmful prompts whose greedy reply is a refusal, before and after. */
  readonly refusalBefore: number;
  readonly refusalAfter: number;
  /** Mean refusal probability P(R) at the first reply token on the harmful prompts. */
  readonly refusalProbBefore: number;
  readonly refusalProbAfter: number;
  /** Share of harmless prompts refused, before and after. */
  readonly harmlessRefusalBefore: number;
  readonly harmlessRefusalAfter: number;
  /** Mean KL(base ‖ ablated) of the next-token distribution on the harmless prompts. */
  readonly harmlessKl: number;
  readonly sampleReplies: readonly { readonly before: string; readonly after: string }[];
}

export interface GateAblationOptions {
  readonly ablation?: 'zero' | 'mean';
  /** Prompts whose mean z mean-ablation uses (default: the harmless prompts given). */
  readonly reference?: readonly (readonly number[])[];
  /** Refusal-start tokens, for P(R). */
  readonly refuse: readonly number[];
  /** Tokens generated to judge a reply. Default 8. */
  readonly maxTokens?: number;
}

export async function ablateGates(
  model: Model,
  gates: readonly HeadRef[],
  harmful: readonly (readonly number[])[],
  harmless: readonly (readonly number[])[],
  opts: GateAblationOptions,
): Promise<GateAblation> {
  const ablation = opts.ablation ?? 'mean';
  const means: HeadMeans | undefined =
    ablation === 'mean' ? await headMeans(model, opts.reference ?? harmless) : undefined;
  const hooks = headGateHooks(
    model.spec,
    gates.map((g) => ({ layer: g.layer, head: g.head, mode: ablation })),
    means,
  );
  const judge = async (prompts: readonly (readonly number[])[], withHooks: boolean) => {
    const texts: string[] = [];
    for (let i = 0; i < prompts.length; i += 16) {
      const out = await generateBatch(model, prompts.slice(i, i + 16), {
        maxTokens: opts.maxTokens ?? 8,
        hooks: withHooks ? hooks : undefined,
      });
      for (const r of out) texts.push(model.tokenizer!.decode(r.tokens, { skipSpecialTokens: true }));
    }
    return texts;
  };
  const share = (texts: string[]) => texts.filter(isRefusal).length / Math.max(1, texts.length);
  const meanProb = async (withHooks: boolean) => {
    const s = await measure(
      model,
      harmful,
      { kind: 'refusal-score', refusal: opts.refuse },
      {
        hooks: withHooks ? hooks : undefined,
      },
    );
    return s.reduce((a, x) => a + refusalProbability(x), 0) / s.length;
  };
  const before = await judge(harmful, false);
  const after = await judge(harmful, true);
  return {
    gates: gates.map((g) => `L${g.layer}.H${g.head}`),
    ablation,
    refusalBefore: share(before),
    refusalAfter: share(after),
    refusalProbBefore: await meanProb(false),
    refusalProbAfter: await meanProb(true),
    harmlessRefusalBefore: share(await judge(harmless, false)),
    harmlessRefusalAfter: share(await judge(harmless, true)),
    harmlessKl: (await lastTokenKl(model, harmless, hooks)).mean,
    sampleReplies: before.slice(0, 4).map((b, i) => ({ before: b, after: after[i]! })),
  };
}

/**
 * Splits requests into two halves by item (ids `category-NN-k` share an item across phrasings k),
 * alternating items so that both halves cover every category: one half finds the circuit, the
 * other tests it.
 */
export function splitByItem<T extends { readonly id: string }>(requests: readonly T[]): [T[], T[]] {
  const items = [...new Set(requests.map((r) => r.id.replace(/-\d+$/, '')))];
  const first = new Set(items.filter((_, i) => i % 2 === 0));
  return [
    requests.filter((r) => first.has(r.id.replace(/-\d+$/, ''))),
    requests.filter((r) => !first.has(r.id.replace(/-\d+$/, ''))),
  ];
}
