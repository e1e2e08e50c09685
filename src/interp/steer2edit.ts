/**
 * Steer2Edit (Trustworthy-ML-Lab/Steer2Edit `edit.py`, METHODS.md §8): turn per-layer steering
 * vectors into rank-1 weight edits of the components that already write along them.
 *
 * v_l = mean difference of attn_out (or mlp_out) between positive and negative texts, v̂ its unit
 * vector; x̄ = the mean over both sides of the component's input (z per head; the MLP's hidden
 * activation per neuron). For head h with output block W_h (z_h ↦ residual):
 *   g = cos(v̂, W_h x̄_h),  λ = sign(g)·max(|g| − ρα, 0)/(ρ(1−α)),  ΔW_h = λ·v̂·k̂ᵀ, k̂ = unit(W_hᵀ v̂).
 * A neuron is a head of width 1: its down-projection column moves by λ·sign(w·v̂)·v̂. Components
 * with |g| ≤ ρα are left exactly as they were (the elastic net's sparsity).
 */
import { type HookName, type HostTensor, hookName, Model, type ModelSpec, RudderError } from '../engine';
import { type CollectOptions, collectActivations, type Position } from './activations';
import { encodeInput } from './build/prompts';
import { cosine, dot, meanRows, sub, unit } from './linalg';
import type { ContrastPair } from './recipe';

export interface Steer2EditOptions extends Pick<CollectOptions, 'batchSize'> {
  readonly pairs: readonly ContrastPair[];
  /** ρ for attention heads; ≤ 0 edits no head. */
  readonly rhoAttn: number;
  /** ρ for MLP neurons; ≤ 0 edits no neuron. */
  readonly rhoMlp: number;
  /** The elastic net's L1 share, in [0, 1). Default 0.95 (the reference's). */
  readonly alpha?: number;
  /** Where activations are read; default the mean over each text's tokens. */
  readonly position?: Position;
  readonly chat?: boolean;
}

export interface HeadEdit {
  readonly layer: number;
  readonly head: number;
  readonly g: number;
  readonly lambda: number;
  /** k̂, d_head wide. */
  readonly k: Float32Array;
}

export interface NeuronEdit {
  readonly layer: number;
  readonly neuron: number;
  readonly g: number;
  /** λ·sign(w·v̂): the column moves by this times v̂. */
  readonly lambda: number;
}

export interface WeightEdits {
  readonly modelId: string;
  /** v̂ per layer for attention and for the MLP. */
  readonly vAttn: Readonly<Record<number, Float32Array>>;
  readonly vMlp: Readonly<Record<number, Float32Array>>;
  readonly heads: readonly HeadEdit[];
  readonly neurons: readonly NeuronEdit[];
}

/** The closed-form elastic-net coefficient; 0 when |g| ≤ ρα or ρ ≤ 0. */
export function elasticNetLambda(g: number, rho: number, alpha: number): number {
  const excess = rho > 0 ? Math.abs(g) - rho * alpha : 0;
  return excess > 0 ? (Math.sign(g) * excess) / (rho * (1 - alpha)) : 0;
}

export async function steer2editEdits(model: Model, opts: Steer2EditOptions): Promise<WeightEdits> {
  const alpha = opts.alpha ?? 0.95;
  if (!(alpha >= 0 && alpha < 1))
    throw new RudderError('bad-alpha', `alpha must be in [0, 1), got ${alpha}.`);
  const { spec } = model;
  const n = opts.pairs.length;
  if (n === 0) throw new RudderError('no-pairs', 'Steer2Edit needs at least one pair.');
  const enc = { chat: opts.chat ?? false };
  const prompts = [
    ...opts.pairs.map((p) => encodeInput(model, p.positive, enc)),
    ...opts.pairs.map((p) => encodeInput(model, p.negative, enc)),
  ];
  const layers = [...Array(spec.nLayers).keys()];
  const points = ['attn_out', 'z', 'mlp_out', 'mlp_post'] as const;
  const names = layers.flatMap((l) => points.map((p) => hookName(p, l)));
  const acts = await collectActivations(model, prompts, names, opts.position ?? { kind: 'mean' }, opts);
  const read = (name: HookName) => {
    const rows = acts.get(name)!;
    return { diff: sub(meanRows(rows.slice(0, n)), meanRows(rows.slice(n))), mean: meanRows(rows) };
  };
  const host = model.hostWeights();
  const { nHeads: H, dHead: D, dModel: d } = spec;
  const vAttn: Record<number, Float32Array> = {};
  const vMlp: Record<number, Float32Array> = {};
  const heads: HeadEdit[] = [];
  const neurons: NeuronEdit[] = [];
  for (const l of layers) {
    const va = unit(read(hookName('attn_out', l)).diff);
    const vm = unit(read(hookName('mlp_out', l)).diff);
    vAttn[l] = va;
    vMlp[l] = vm;
    if (opts.rhoAttn > 0) {
      const z = read(hookName('z', l)).mean; // [H·D]
      const W_O = host.get(`blocks.${l}.attn.W_O`)!.data; // [H·D, d]
      for (let h = 0; h < H; h++) {
        const block = (i: number) => W_O.subarray((h * D + i) * d, (h * D + i + 1) * d);
        const out = new Float32Array(d);
        for (let i = 0; i < D; i++) block(i).forEach((w, j) => (out[j]! += z[h * D + i]! * w));
        const g = cosine(va, out);
        const lambda = elasticNetLambda(g, opts.rhoAttn, alpha);
        const k = Float32Array.from({ length: D }, (_, i) => dot(block(i), va));
        if (lambda !== 0 && k.some((x) => x !== 0)) heads.push({ layer: l, head: h, g, lambda, k: unit(k) });
      }
    }
    if (opts.rhoMlp > 0) {
      const x = read(hookName('mlp_post', l)).mean; // [d_mlp]
      const W_out = host.get(`blocks.${l}.mlp.W_out`)!.data; // [d_mlp, d]
      for (let i = 0; i < spec.dMlp; i++) {
        const col = W_out.subarray(i * d, (i + 1) * d);
        const g = Math.sign(x[i]!) * cosine(vm, col);
        const lambda = elasticNetLambda(g, opts.rhoMlp, alpha);
        const s = Math.sign(dot(col, vm));
        if (lambda !== 0 && s !== 0) neurons.push({ layer: l, neuron: i, g, lambda: lambda * s });
      }
    }
  }
  return { modelId: model.id, vAttn, vMlp, heads, neurons };
}

/** New canonical weights with the edits added (W_O rows of each head; W_out rows of each neuron). */
export function applyWeightEdits(
  spec: ModelSpec,
  host: ReadonlyMap<string, HostTensor>,
  edits: WeightEdits,
  scale = 1,
): Map<string, HostTensor> {
  const out = new Map(host);
  const d = spec.dModel;
  const copy = (name: string) => {
    const t = out.get(name)!;
    if (t === host.get(name)) out.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
    return out.get(name)!.data;
  };
  for (const e of edits.heads) {
    const W = copy(`blocks.${e.layer}.attn.W_O`);
    const v = edits.vAttn[e.layer]!;
    // Canonical W_O is [H·D, d] (z ↦ residual by rows), so ΔW_h = λ·v̂k̂ᵀ lands as λ·k̂v̂ᵀ.
    for (let i = 0; i < e.k.length; i++)
      for (let j = 0; j < d; j++) W[(e.head * spec.dHead + i) * d + j]! += scale * e.lambda * e.k[i]! * v[j]!;
  }
  for (const e of edits.neurons) {
    const W = copy(`blocks.${e.layer}.mlp.W_out`);
    const v = edits.vMlp[e.layer]!;
    for (let j = 0; j < d; j++) W[e.neuron * d + j]! += scale * e.lambda * v[j]!;
  }
  return out;
}

/** A new Model with the edits applied; the caller disposes it. The loaded model is not changed. */
export function steer2editModel(
  model: Model,
  edits: WeightEdits,
  scale = 1,
  id = `${model.id}+steer2edit`,
): Model {
  if (edits.modelId !== model.id)
    throw new RudderError(
      'incompatible-edits',
      `These edits were computed on "${edits.modelId}", not "${model.id}".`,
    );
  return Model.fromHost(
    id,
    model.spec,
    applyWeightEdits(model.spec, model.hostWeights(), edits, scale),
    model.tokenizer,
  );
}
