/**
 * The refusal circuit as a graph (METHODS.md §9, after "How Alignment Routes"). All effects are
 * in one unit, the refuse-vs-comply logit difference m = mean logit(R) − mean logit(C) at the
 * last token, so that they can be compared:
 *   - direct effect: per-head DLA delta, DLA(harmful) − DLA(harmless);
 *   - necessity: how much m drops on a harmful prompt when the head's z takes its value from a
 *     matched harmless prompt; sufficiency: how much m rises on the harmless prompt given the
 *     harmful z (interchange patching, averaged over pairs);
 *   - indirect effect ≈ necessity − direct effect: what the head changes through later heads.
 * Gates are the heads whose value decides the outcome, ranked by their causal effect under
 * interchange, (necessity + sufficiency) / 2; amplifiers are the heads that write the decision
 * into the logits, ranked by direct effect. A head may be both (it reads the request and writes
 * the refusal itself); a pure gate has a large causal but a small direct effect. The knockout
 * cascade ablates each gate and reports how every later head's DLA delta changes: the edges.
 */
import type { Model } from '../engine';
import { type DlaResult, directLogitAttribution } from './attribution';
import { encodeInput } from './build/prompts';
import { type HeadGate, type HeadMeans, headGateHooks, headId, headMeans } from './heads';
import type { Metric } from './metrics';
import { patchSweep } from './patching';
import { replyStartTokens } from './refusal';

export interface CircuitOptions {
  /** Tokens that start a refusal (R of §5) and tokens that start a compliant answer. */
  readonly refuse: readonly number[];
  readonly comply: readonly number[];
  /** Matched pairs (harmful[i], harmless[i]) used for interchange. Default 8. */
  readonly pairs?: number;
  /** At most this many heads are named gates and amplifiers. Defaults 3 and 5. */
  readonly gates?: number;
  readonly amplifiers?: number;
  /** A head is named only if its score is at least this share of the strongest one's. Default 0.2. */
  readonly minShare?: number;
  /**
   * Knockout used by the cascade: zero, or the head's mean over the harmless prompts (the value it
   * takes when there is nothing to refuse). Default 'mean'.
   */
  readonly ablation?: 'zero' | 'mean';
  /** Positions whose z is swapped: the last token (prompts may differ in length) or all. Default 'last'. */
  readonly positions?: 'last' | 'all';
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface CircuitHead {
  readonly id: string;
  readonly layer: number;
  readonly head: number;
  readonly dlaHarmful: number;
  readonly dlaHarmless: number;
  /** Direct effect: dlaHarmful − dlaHarmless. */
  readonly direct: number;
  readonly necessity: number;
  readonly sufficiency: number;
  /** necessity − direct. */
  readonly indirect: number;
  /** (necessity + sufficiency) / 2: what gates are ranked by. */
  readonly causal: number;
  readonly role: 'gate' | 'amplifier' | 'gate+amplifier' | null;
}

export interface CircuitNode {
  readonly id: string;
  readonly layer: number;
  /** Undefined for the logits node. */
  readonly head?: number;
  /** `downstream`: neither gate nor amplifier, but its DLA delta moves when a gate is knocked out. */
  readonly role: 'gate' | 'amplifier' | 'gate+amplifier' | 'downstream' | 'logits';
  readonly direct?: number;
  readonly indirect?: number;
  /** For gates: m on harmful prompts with this head knocked out, minus m without. */
  readonly knockout?: number;
}

export interface CircuitEdge {
  readonly source: string;
  readonly target: string;
  /** cascade: change of the target's DLA delta when the source is knocked out; direct: the source's DLA delta. */
  readonly weight: number;
  readonly kind: 'cascade' | 'direct';
}

export interface RefusalCircuit {
  readonly metric: string;
  /** Mean m over the harmful and the harmless prompts. */
  readonly harmful: number;
  readonly harmless: number;
  /** Every head, layer-major. */
  readonly heads: readonly CircuitHead[];
  /** Head ids, strongest first. */
  readonly gates: readonly string[];
  readonly amplifiers: readonly string[];
  readonly nodes: readonly CircuitNode[];
  readonly edges: readonly CircuitEdge[];
}

/**
 * The circuit of a chat model's refusals from instructions as text (each wrapped in its chat
 * template): the tokens it starts refusals and answers with, read from its own short replies
 * (replyStartTokens), then the circuit on the first `maxPrompts` of each set (default all).
 */
export async function findRefusalCircuit(
  model: Model,
  sets: { readonly harmful: readonly string[]; readonly harmless: readonly string[] },
  opts: Omit<CircuitOptions, 'refuse' | 'comply'> & { readonly maxPrompts?: number } = {},
): Promise<{ circuit: RefusalCircuit; refuse: number[]; comply: number[]; prompts: number }> {
  const { maxPrompts, ...circuitOpts } = opts;
  const enc = (t: string) => encodeInput(model, t, { chat: true });
  const harmful = sets.harmful.slice(0, maxPrompts).map(enc);
  const harmless = sets.harmless.slice(0, maxPrompts).map(enc);
  opts.onProgress?.('reply starts', 0, 1);
  const tokens = await replyStartTokens(model, harmful, harmless);
  const circuit = await refusalCircuit(model, harmful, harmless, { ...circuitOpts, ...tokens });
  return { circuit, ...tokens, prompts: harmful.length };
}

export async function refusalCircuit(
  model: Model,
  harmful: readonly (readonly number[])[],
  harmless: readonly (readonly number[])[],
  opts: CircuitOptions,
): Promise<RefusalCircuit> {
  const { nLayers: L, nHeads: H } = model.spec;
  const progress = opts.onProgress ?? (() => {});
  const direction = { target: opts.refuse, baseline: opts.comply };
  const metric: Metric = { kind: 'logit-diff', ...direction };
  const positions = opts.positions ?? 'last';

  progress('attribution', 0, 2);
  const baseA = await directLogitAttribution(model, harmful, direction);
  const baseB = await directLogitAttribution(model, harmless, direction);
  const direct = baseA.heads.map((x, i) => x - baseB.heads[i]!);

  const nPairs = Math.min(opts.pairs ?? 8, harmful.length, harmless.length);
  const necessity = new Float32Array(L * H);
  const sufficiency = new Float32Array(L * H);
  for (let i = 0; i < nPairs; i++) {
    progress('interchange', i, nPairs);
    const down = await patchSweep(
      model,
      { source: harmless[i]!, target: harmful[i]! },
      { kind: 'heads', positions },
      metric,
    );
    const up = await patchSweep(
      model,
      { source: harmful[i]!, target: harmless[i]! },
      { kind: 'heads', positions },
      metric,
    );
    for (let j = 0; j < L * H; j++) {
      necessity[j]! -= down.effect[j]! / nPairs;
      sufficiency[j]! += up.effect[j]! / nPairs;
    }
  }
  const indirect = necessity.map((n, j) => n - direct[j]!);
  const causal = necessity.map((n, j) => (n + sufficiency[j]!) / 2);

  const gates = topHeads(causal, opts.gates ?? 3, opts.minShare ?? 0.2);
  const amplifiers = topHeads(direct, opts.amplifiers ?? 5, opts.minShare ?? 0.2);
  const roleOf = (j: number): CircuitHead['role'] => {
    const g = gates.includes(j);
    const a = amplifiers.includes(j);
    return g && a ? 'gate+amplifier' : g ? 'gate' : a ? 'amplifier' : null;
  };

  const ablation = opts.ablation ?? 'mean';
  const means: HeadMeans | undefined = ablation === 'mean' ? await headMeans(model, harmless) : undefined;
  const edges: CircuitEdge[] = [];
  const knockout = new Map<number, number>();
  for (const [n, j] of gates.entries()) {
    progress('cascade', n, gates.length);
    const gate: HeadGate = { layer: Math.floor(j / H), head: j % H, mode: ablation };
    const hooks = headGateHooks(model.spec, [gate], means);
    const a: DlaResult = await directLogitAttribution(model, harmful, direction, { hooks });
    const b: DlaResult = await directLogitAttribution(model, harmless, direction, { hooks });
    knockout.set(j, a.logitDiff - baseA.logitDiff);
    const changes: CircuitEdge[] = [];
    for (let k = (gate.layer + 1) * H; k < L * H; k++) {
      const weight = a.heads[k]! - b.heads[k]! - direct[k]!;
      changes.push({
        source: headId(gate),
        target: headId({ layer: Math.floor(k / H), head: k % H }),
        weight,
        kind: 'cascade',
      });
    }
    // Keep the edges that matter: the strongest, and any at least a tenth of it.
    const max = Math.max(0, ...changes.map((e) => Math.abs(e.weight)));
    edges.push(...changes.filter((e) => max > 0 && Math.abs(e.weight) >= 0.1 * max));
  }
  progress('cascade', gates.length, gates.length);

  const heads: CircuitHead[] = Array.from({ length: L * H }, (_, j) => ({
    id: headId({ layer: Math.floor(j / H), head: j % H }),
    layer: Math.floor(j / H),
    head: j % H,
    dlaHarmful: baseA.heads[j]!,
    dlaHarmless: baseB.heads[j]!,
    direct: direct[j]!,
    necessity: necessity[j]!,
    sufficiency: sufficiency[j]!,
    indirect: indirect[j]!,
    causal: causal[j]!,
    role: roleOf(j),
  }));
  const named = heads.filter((h) => h.role);
  const nodes: CircuitNode[] = [
    ...named.map((h) => ({
      id: h.id,
      layer: h.layer,
      head: h.head,
      role: h.role!,
      direct: h.direct,
      indirect: h.indirect,
      knockout: knockout.get(h.layer * H + h.head),
    })),
    { id: 'logits', layer: L, role: 'logits' as const },
  ];
  for (const h of named) edges.push({ source: h.id, target: 'logits', weight: h.direct, kind: 'direct' });
  // Cascade edges may reach heads that are neither gates nor amplifiers; give them nodes too.
  for (const e of edges) {
    if (nodes.some((n) => n.id === e.target)) continue;
    const h = heads.find((x) => x.id === e.target)!;
    nodes.push({
      id: h.id,
      layer: h.layer,
      head: h.head,
      role: 'downstream',
      direct: h.direct,
      indirect: h.indirect,
    });
  }
  return {
    metric: 'mean logit(refuse) − mean logit(comply) at the last token',
    harmful: baseA.logitDiff,
    harmless: baseB.logitDiff,
    heads,
    gates: gates.map((j) => heads[j]!.id),
    amplifiers: amplifiers.map((j) => heads[j]!.id),
    nodes,
    edges,
  };
}

/** Indices of at most `n` heads with positive scores of at least `share` × the best, best first. */
function topHeads(scores: Float32Array, n: number, share: number): number[] {
  const best = Math.max(...scores);
  return [...scores.keys()]
    .filter((j) => scores[j]! > 0 && scores[j]! >= share * best)
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, n);
}
