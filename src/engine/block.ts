/**
 * One transformer block, parametrised by the spec (norm, positions, MLP, attention), written so
 * that each hook point reads where it sits in the computation. Runs inside the forward pass's tidy.
 * The fused operations (kernels/ops.ts) run as Rudder's own kernels on WebAssembly and as tfjs ops
 * elsewhere; a hook point that costs work of its own is computed only when someone wants it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookName } from './hooks';
import {
  activate,
  attentionMix,
  attentionPattern,
  gatedActivation,
  headResults,
  type MatrixWeight,
  matMul,
  normalize,
  sumHeads,
  swapPosAndHeads,
} from './kernels/ops';
import type { LayerKv } from './kv-cache';
import { applyRotary, type RotaryAngles } from './rotary';
import { type ModelSpec, windowAt } from './spec';
import type { DeviceWeights } from './weights-device';

/** Passes an activation through the hooks registered at `name` (identity when none). */
export type HookPoint = <T extends tf.Tensor>(name: HookName, x: T) => T;

export interface BlockInputs {
  readonly spec: ModelSpec;
  readonly w: DeviceWeights;
  readonly layer: number;
  readonly hp: HookPoint;
  /**
   * Hook names someone reads or replaces. Points that cost work of their own (per-head results,
   * a norm's scale as a separate tensor) are computed only when named here.
   */
  readonly wanted: ReadonlySet<string>;
  /** Rotary angles of the new tokens' positions (rotary models only). */
  readonly rotary: RotaryAngles | undefined;
  /** Additive attention mask [1 | batch, 1, pos, keyPos], or undefined when nothing is masked. */
  readonly mask: tf.Tensor | undefined;
  /** The mask of sliding-window layers (windowAt), when the model has them. */
  readonly localMask: tf.Tensor | undefined;
  /** Cached keys/values of earlier positions; the updated ones are returned. */
  readonly past: LayerKv | undefined;
}

/** resid: [batch, pos, d_model] → [batch, pos, d_model], and this layer's updated keys/values. */
export function block(resid: tf.Tensor3D, io: BlockInputs): { resid: tf.Tensor3D; kv: LayerKv } {
  const { spec, layer: l, hp } = io;
  const b = `blocks.${l}` as const;
  resid = hp(`${b}.hook_resid_pre`, resid);
  const x1 = hp(`${b}.ln1.hook_normalized`, norm(resid, io, `${b}.ln1`)); // [b, p, d]
  let { out: attnOut, kv } = attention(x1, io);
  // Gemma 2 normalises what attention adds; hook_attn_out is what reaches the residual stream.
  if (spec.postNorms) attnOut = hp(`${b}.ln1_post.hook_normalized`, norm(attnOut, io, `${b}.ln1_post`));
  attnOut = hp(`${b}.hook_attn_out`, attnOut);
  if (spec.parallelResidual) {
    // GPT-NeoX: attention and MLP both read resid_pre; there is no resid_mid.
    const x2 = hp(`${b}.ln2.hook_normalized`, norm(resid, io, `${b}.ln2`)); // [b, p, d]
    const mlpOut = hp(`${b}.hook_mlp_out`, mlp(x2, io)); // [b, p, d]
    return { resid: hp(`${b}.hook_resid_post`, tf.add(tf.add(mlpOut, attnOut), resid)), kv };
  }
  resid = hp(`${b}.hook_resid_mid`, tf.add(resid, attnOut));
  const x2 = hp(`${b}.ln2.hook_normalized`, norm(resid, io, `${b}.ln2`)); // [b, p, d]
  let mlpOut = mlp(x2, io); // [b, p, d]
  if (spec.postNorms) mlpOut = hp(`${b}.ln2_post.hook_normalized`, norm(mlpOut, io, `${b}.ln2_post`));
  resid = hp(`${b}.hook_resid_post`, tf.add(resid, hp(`${b}.hook_mlp_out`, mlpOut)));
  return { resid, kv };
}

/**
 * LayerNorm or RMSNorm over the last axis, with the weights under `prefix` (`blocks.0.ln1`,
 * `ln_final`). The scale √(mean x² + ε) (x centred for LayerNorm) becomes a tensor of its own,
 * `${prefix}.hook_scale`, only when someone asks for it; a hook that replaces it divides instead.
 */
export function norm(
  x: tf.Tensor3D,
  io: Pick<BlockInputs, 'spec' | 'w' | 'hp' | 'wanted'>,
  prefix: string,
): tf.Tensor3D {
  const { spec, w } = io;
  const weight = w.get(`${prefix}.w`);
  const bias = spec.norm === 'layer' ? w.get(`${prefix}.b`) : undefined;
  const scaleName = `${prefix}.hook_scale` as HookName;
  const wantsScale = io.wanted.has(scaleName);
  const { out, scale } = normalize(x, weight, bias, spec.normEps, wantsScale);
  if (!scale) return out;
  const hooked = io.hp(scaleName, scale); // [b, p, 1]
  if (hooked === scale) return out;
  const centred = bias ? tf.sub(x, tf.mean(x, -1, true)) : x;
  const scaled: tf.Tensor3D = tf.mul(tf.div(centred, hooked), weight);
  return bias ? tf.add(scaled, bias) : scaled;
}

/** x: [batch, pos, in] @ W [in, out] (+ b), then `act` if given → [batch, pos, out]. */
function linear(
  x: tf.Tensor3D,
  W: MatrixWeight,
  b: tf.Tensor | undefined,
  act?: ModelSpec['act'],
): tf.Tensor3D {
  const [batch, pos, dIn] = x.shape;
  return tf.reshape(matMul(tf.reshape(x, [batch * pos, dIn]), W, b, act), [batch, pos, W.n]);
}

function attention(x: tf.Tensor3D, io: BlockInputs): { out: tf.Tensor3D; kv: LayerKv } {
  const { spec, w, layer: l, hp } = io;
  const { nHeads: H, nKvHeads: K, dHead: D } = spec;
  const [batch, pos] = x.shape;
  const a = `blocks.${l}.attn` as const;
  const [q, k, v] = tf.split(
    linear(x, w.matrix(`${a}.W_QKV`), w.maybe(`${a}.b_QKV`)),
    [H * D, K * D, K * D],
    2,
  );
  const q0: tf.Tensor4D = hp(`${a}.hook_q`, tf.reshape(q!, [batch, pos, H, D])); // [b, p, H, D], before rotary
  const k0: tf.Tensor4D = hp(`${a}.hook_k`, tf.reshape(k!, [batch, pos, K, D])); // [b, p, K, D]
  const v0: tf.Tensor4D = hp(`${a}.hook_v`, tf.reshape(v!, [batch, pos, K, D])); // [b, p, K, D]
  let q1 = q0;
  let k1 = k0;
  if (io.rotary) {
    // Queries and keys rotate together: one rotation's kernels instead of two.
    const [qr, kr] = tf.split(applyRotary(tf.concat([q0, k0], 2) as tf.Tensor4D, io.rotary), [H, K], 2);
    q1 = hp(`${a}.hook_rot_q`, qr as tf.Tensor4D); // [b, p, H, D]
    k1 = hp(`${a}.hook_rot_k`, kr as tf.Tensor4D); // [b, p, K, D]
  }

  const kNew = swapPosAndHeads(k1); // [b, K, p, D]
  const vNew = swapPosAndHeads(v0); // [b, K, p, D]
  const keys: tf.Tensor4D = io.past ? tf.concat([io.past.k, kNew], 2) : kNew; // [b, K, keyPos, D]
  const values: tf.Tensor4D = io.past ? tf.concat([io.past.v, vNew], 2) : vNew;

  const scoresName = `${a}.hook_attn_scores` as const;
  const att = attentionPattern(q1, keys, windowAt(spec, l) === undefined ? io.mask : io.localMask, {
    scale: spec.attnScale ?? 1 / Math.sqrt(D),
    softcap: spec.attnSoftcap,
    withScores: io.wanted.has(scoresName),
  });
  let pattern = att.pattern; // [b, H, p, keyPos]
  if (att.scores) {
    // Scaled, soft-capped and masked scores; a hook that replaces them sets the pattern.
    const scores = hp(scoresName, att.scores); // [b, H, p, keyPos]
    if (scores !== att.scores) pattern = tf.softmax(scores);
  }
  pattern = hp(`${a}.hook_pattern`, pattern);
  const z = hp(`${a}.hook_z`, attentionMix(pattern, values)); // [b, p, H, D]

  const W_O = w.matrix(`${a}.W_O`);
  const b_O = w.maybe(`${a}.b_O`);
  let out: tf.Tensor3D;
  if (io.wanted.has(`${a}.hook_result`)) {
    const result = hp(`${a}.hook_result`, headResults(z, W_O)); // [b, p, H, d]
    out = sumHeads(result, b_O);
  } else {
    out = linear(tf.reshape(z, [batch, pos, H * D]), W_O, b_O);
  }
  return { out, kv: { k: keys, v: values } };
}

function mlp(x: tf.Tensor3D, io: BlockInputs): tf.Tensor3D {
  const { spec, w, layer: l, hp, wanted } = io;
  const m = `blocks.${l}.mlp` as const;
  let post: tf.Tensor3D; // [b, p, dMlp]
  if (spec.mlp === 'swiglu') {
    const gateUp = linear(x, w.matrix(`${m}.W_GU`), w.maybe(`${m}.b_GU`)); // [b, p, 2·dMlp]: gate, then up
    if (wanted.has(`${m}.hook_pre`) || wanted.has(`${m}.hook_pre_linear`)) {
      const [gate, up] = tf.split(gateUp, 2, 2);
      const pre = hp(`${m}.hook_pre`, gate as tf.Tensor3D);
      post = tf.mul(activate(pre, spec.act), hp(`${m}.hook_pre_linear`, up as tf.Tensor3D));
    } else {
      post = gatedActivation(gateUp, spec.act);
    }
  } else if (wanted.has(`${m}.hook_pre`)) {
    const pre = hp(`${m}.hook_pre`, linear(x, w.matrix(`${m}.W_in`), w.maybe(`${m}.b_in`)));
    post = activate(pre, spec.act);
  } else {
    // Nobody reads the pre-activations: the activation runs inside the matmul (kernels/ops.ts).
    post = linear(x, w.matrix(`${m}.W_in`), w.maybe(`${m}.b_in`), spec.act);
  }
  return linear(hp(`${m}.hook_post`, post), w.matrix(`${m}.W_out`), w.maybe(`${m}.b_out`));
}
