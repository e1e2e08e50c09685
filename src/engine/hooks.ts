/**
 * Hook points: every intermediate activation of the forward pass has a TransformerLens name, so
 * what people know from notebooks carries over. Names are built, never parsed from suffixes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { UnknownHookError } from './errors';
import type { ModelSpec } from './spec';

/** Points that exist once per model. */
export type GlobalHookPoint =
  | 'hook_embed'
  | 'hook_pos_embed'
  | 'ln_final.hook_scale'
  | 'ln_final.hook_normalized';

/** Points that exist once per block, named `blocks.{layer}.{point}`. */
export type BlockHookPoint = (typeof BLOCK_POINTS)[keyof typeof BLOCK_POINTS];

export type HookName = GlobalHookPoint | `blocks.${number}.${BlockHookPoint}`;

/**
 * Short names used by recipes and the UI (`resid_pre`) mapped to their block point, in forward
 * order. Not every model has every point: `blockPoints(spec)` says which this one has.
 */
export const BLOCK_POINTS = {
  resid_pre: 'hook_resid_pre',
  ln1_scale: 'ln1.hook_scale',
  ln1_normalized: 'ln1.hook_normalized',
  q: 'attn.hook_q',
  k: 'attn.hook_k',
  v: 'attn.hook_v',
  rot_q: 'attn.hook_rot_q',
  rot_k: 'attn.hook_rot_k',
  attn_scores: 'attn.hook_attn_scores',
  pattern: 'attn.hook_pattern',
  z: 'attn.hook_z',
  result: 'attn.hook_result',
  ln1_post_scale: 'ln1_post.hook_scale',
  ln1_post_normalized: 'ln1_post.hook_normalized',
  attn_out: 'hook_attn_out',
  resid_mid: 'hook_resid_mid',
  ln2_scale: 'ln2.hook_scale',
  ln2_normalized: 'ln2.hook_normalized',
  mlp_pre: 'mlp.hook_pre',
  mlp_pre_linear: 'mlp.hook_pre_linear',
  mlp_post: 'mlp.hook_post',
  ln2_post_scale: 'ln2_post.hook_scale',
  ln2_post_normalized: 'ln2_post.hook_normalized',
  mlp_out: 'hook_mlp_out',
  resid_post: 'hook_resid_post',
} as const;

export type BlockPointShortName = keyof typeof BLOCK_POINTS;

/** `hookName('resid_pre', 3)` → `'blocks.3.hook_resid_pre'`. */
export function hookName<P extends BlockPointShortName>(
  point: P,
  layer: number,
): `blocks.${number}.${(typeof BLOCK_POINTS)[P]}` {
  return `blocks.${layer}.${BLOCK_POINTS[point]}`;
}

/** Dimension names of each point's activation, as the forward pass produces it. */
export const HOOK_DIMS: Record<BlockHookPoint | GlobalHookPoint, readonly string[]> = {
  hook_embed: ['batch', 'pos', 'd_model'],
  hook_pos_embed: ['batch', 'pos', 'd_model'],
  // The norm's divisor: √(mean x² + ε), x centred first for LayerNorm (TransformerLens).
  'ln_final.hook_scale': ['batch', 'pos', 'one'],
  'ln_final.hook_normalized': ['batch', 'pos', 'd_model'],
  hook_resid_pre: ['batch', 'pos', 'd_model'],
  'ln1.hook_scale': ['batch', 'pos', 'one'],
  'ln1.hook_normalized': ['batch', 'pos', 'd_model'],
  // q before rotary; k and v have the key/value heads (fewer than heads under GQA).
  'attn.hook_q': ['batch', 'pos', 'head', 'd_head'],
  'attn.hook_k': ['batch', 'pos', 'kv_head', 'd_head'],
  'attn.hook_v': ['batch', 'pos', 'kv_head', 'd_head'],
  // After rotary (rotary models only).
  'attn.hook_rot_q': ['batch', 'pos', 'head', 'd_head'],
  'attn.hook_rot_k': ['batch', 'pos', 'kv_head', 'd_head'],
  // Scaled, soft-capped and masked (masked entries ≤ -1e9), before the softmax.
  'attn.hook_attn_scores': ['batch', 'head', 'query_pos', 'key_pos'],
  'attn.hook_pattern': ['batch', 'head', 'query_pos', 'key_pos'],
  'attn.hook_z': ['batch', 'pos', 'head', 'd_head'],
  'attn.hook_result': ['batch', 'pos', 'head', 'd_model'],
  'ln1_post.hook_scale': ['batch', 'pos', 'one'],
  'ln1_post.hook_normalized': ['batch', 'pos', 'd_model'],
  hook_attn_out: ['batch', 'pos', 'd_model'],
  hook_resid_mid: ['batch', 'pos', 'd_model'],
  'ln2.hook_scale': ['batch', 'pos', 'one'],
  'ln2.hook_normalized': ['batch', 'pos', 'd_model'],
  // The plain MLP's pre-activation, or the gate's; hook_pre_linear is the gated MLP's up projection.
  'mlp.hook_pre': ['batch', 'pos', 'd_mlp'],
  'mlp.hook_pre_linear': ['batch', 'pos', 'd_mlp'],
  'mlp.hook_post': ['batch', 'pos', 'd_mlp'],
  'ln2_post.hook_scale': ['batch', 'pos', 'one'],
  'ln2_post.hook_normalized': ['batch', 'pos', 'd_model'],
  hook_mlp_out: ['batch', 'pos', 'd_model'],
  hook_resid_post: ['batch', 'pos', 'd_model'],
};

/** The block points this model has, in forward order. */
export function blockPoints(spec: ModelSpec): BlockHookPoint[] {
  const absent = new Set<BlockHookPoint>();
  if (spec.pos !== 'rotary') absent.add('attn.hook_rot_q').add('attn.hook_rot_k');
  if (!spec.postNorms) {
    for (const p of ['ln1_post', 'ln2_post'])
      absent.add(`${p}.hook_scale` as BlockHookPoint).add(`${p}.hook_normalized` as BlockHookPoint);
  }
  if (spec.parallelResidual) absent.add('hook_resid_mid');
  if (spec.mlp !== 'swiglu') absent.add('mlp.hook_pre_linear');
  return Object.values(BLOCK_POINTS).filter((p) => !absent.has(p));
}

/** Every hook name that exists for a model, in forward order. */
export function allHookNames(spec: ModelSpec): HookName[] {
  const names: HookName[] = ['hook_embed'];
  if (spec.pos === 'learned') names.push('hook_pos_embed');
  const points = blockPoints(spec);
  for (let l = 0; l < spec.nLayers; l++) {
    for (const p of points) names.push(`blocks.${l}.${p}`);
  }
  names.push('ln_final.hook_scale', 'ln_final.hook_normalized');
  return names;
}

/** What a hook function learns about the activation it is given. */
export interface HookContext {
  readonly name: HookName;
  /** Block index, or undefined for global points. */
  readonly layer: number | undefined;
  /** Absolute position of the first token of this call (0 for a prompt, >0 when decoding). */
  readonly offset: number;
  /** Number of new tokens in this call. */
  readonly length: number;
  /** 0 for the prompt pass, k for the k-th decode step of a generation. */
  readonly step: number;
}

/**
 * A hook reads an activation and may return a replacement of the same shape. It runs inside the
 * forward pass's `tf.tidy`: intermediates it creates are freed automatically, and it must not
 * dispose the tensor it is given.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that only reads returns nothing.
export type HookFn = (activation: tf.Tensor, ctx: HookContext) => tf.Tensor | undefined | void;

/** Several hooks may sit on one point; they run in order, each seeing the previous one's output. */
export type Hooks = Partial<Record<HookName, HookFn | readonly HookFn[]>>;

/** Checked on every decode step, so the set of names is built once per model. */
const VALID_NAMES = new WeakMap<ModelSpec, Set<string>>();

/** Throws UnknownHookError, with the nearest valid names, for any name this model lacks. */
export function assertHookNames(spec: ModelSpec, names: Iterable<string>): void {
  let valid = VALID_NAMES.get(spec);
  if (!valid) {
    valid = new Set<string>(allHookNames(spec));
    VALID_NAMES.set(spec, valid);
  }
  for (const name of names) {
    if (!valid.has(name)) throw new UnknownHookError(name, nearestNames(name, [...valid]));
  }
}

function nearestNames(name: string, valid: readonly string[]): string[] {
  return valid
    .map((v) => ({ v, d: editDistance(name, v) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.v);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
