/**
 * One transformer block, parametrised by the spec (norm, positions, MLP, attention), written so
 * that each hook point reads where it sits in the computation. Runs inside the forward pass's tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookName } from './hooks';
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
 * `${prefix}.hook_scale`, only when someone asks for it.
 */
export function norm(
  x: tf.Tensor3D,
  io: Pick<BlockInputs, 'spec' | 'w' | 'hp' | 'wanted'>,
  prefix: string,
): tf.Tensor3D {
  const { spec, w } = io;
  const centred = spec.norm === 'layer' ? tf.sub(x, tf.mean(x, -1, true)) : x;
  const ms = tf.add(tf.mean(tf.square(centred), -1, true), spec.normEps); // [b, p, 1]
  const scaleName = `${prefix}.hook_scale` as HookName;
  const normed = io.wanted.has(scaleName)
    ? tf.div(centred, io.hp(scaleName, tf.sqrt(ms)))
    : tf.mul(centred, tf.rsqrt(ms));
  const scaled: tf.Tensor3D = tf.mul(normed, w.get(`${prefix}.w`));
  return spec.norm === 'layer' ? tf.add(scaled, w.get(`${prefix}.b`)) : scaled;
}

/** x: [batch, pos, in] @ W [in, out] (+ b) → [batch, pos, out]. */
function linear(x: tf.Tensor3D, W: tf.Tensor, b: tf.Tensor | undefined): tf.Tensor3D {
  const [batch, pos, dIn] = x.shape;
  const x2 = tf.reshape(x, [batch * pos, dIn]);
  const y = b ? tf.fused.matMul({ a: x2, b: W as tf.Tensor2D, bias: b }) : tf.matMul(x2, W as tf.Tensor2D);
  return tf.reshape(y, [batch, pos, W.shape[1]!]);
}

function attention(x: tf.Tensor3D, io: BlockInputs): { out: tf.Tensor3D; kv: LayerKv } {
  const { spec, w, layer: l, hp } = io;
  const { nHeads: H, nKvHeads: K, dHead: D } = spec;
  const [batch, pos] = x.shape;
  const a = `blocks.${l}.attn`;
  const [q, k, v] = tf.split(linear(x, w.get(`${a}.W_QKV`), w.maybe(`${a}.b_QKV`)), [H * D, K * D, K * D], 2);
  const q0 = hp(`blocks.${l}.attn.hook_q`, tf.reshape(q!, [batch, pos, H, D])); // [b, p, H, D], before rotary
  const k0 = hp(`blocks.${l}.attn.hook_k`, tf.reshape(k!, [batch, pos, K, D])); // [b, p, K, D]
  const v0 = hp(`blocks.${l}.attn.hook_v`, tf.reshape(v!, [batch, pos, K, D])); // [b, p, K, D]
  let q1 = q0;
  let k1 = k0;
  if (io.rotary) {
    // Queries and keys rotate together: one rotation's kernels instead of two.
    const [qr, kr] = tf.split(applyRotary(tf.concat([q0, k0], 2) as tf.Tensor4D, io.rotary), [H, K], 2);
    q1 = hp(`blocks.${l}.attn.hook_rot_q`, qr as tf.Tensor4D); // [b, p, H, D]
    k1 = hp(`blocks.${l}.attn.hook_rot_k`, kr as tf.Tensor4D); // [b, p, K, D]
  }

  const kNew = swapPosAndHeads(k1 as tf.Tensor4D); // [b, K, p, D]
  const vNew = swapPosAndHeads(v0 as tf.Tensor4D); // [b, K, p, D]
  const keys = io.past ? tf.concat([io.past.k, kNew], 2) : kNew; // [b, K, keyPos, D]
  const values = io.past ? tf.concat([io.past.v, vNew], 2) : vNew;
  const keyPos = keys.shape[2];

  // Grouped-query attention without repeating keys: the G = H/K query heads that share a key
  // head are stacked along the query axis, so one batched matmul serves the whole group.
  const G = H / K;
  const grouped = tf.reshape(swapPosAndHeads(q1 as tf.Tensor4D), [batch, K, G * pos, D]);
  const raw = tf.mul(batchedMatMul(grouped, keys, true), spec.attnScale ?? 1 / Math.sqrt(D));
  let scores: tf.Tensor4D = tf.reshape(raw, [batch, H, pos, keyPos]);
  if (spec.attnSoftcap) scores = softcap(scores, spec.attnSoftcap);
  const mask = windowAt(spec, l) === undefined ? io.mask : io.localMask;
  if (mask) scores = tf.add(scores, mask);
  scores = hp(`blocks.${l}.attn.hook_attn_scores`, scores); // [b, H, p, keyPos]
  const pattern = hp(`blocks.${l}.attn.hook_pattern`, tf.softmax(scores)); // [b, H, p, keyPos]
  const zh = batchedMatMul(tf.reshape(pattern, [batch, K, G * pos, keyPos]), values, false); // [b, K, G*p, D]
  const z = hp(`blocks.${l}.attn.hook_z`, swapPosAndHeads(tf.reshape(zh, [batch, H, pos, D]))); // [b, p, H, D]

  const W_O = w.get(`${a}.W_O`);
  const b_O = w.maybe(`${a}.b_O`);
  let out: tf.Tensor3D;
  if (io.wanted.has(`blocks.${l}.attn.hook_result`)) {
    const result: tf.Tensor4D = hp(
      `blocks.${l}.attn.hook_result`,
      perHeadResult(z as tf.Tensor4D, W_O, spec.dModel),
    );
    out = tf.sum(result, 2);
    if (b_O) out = tf.add(out, b_O);
  } else {
    out = linear(tf.reshape(z, [batch, pos, H * D]), W_O, b_O);
  }
  return { out, kv: { k: keys, v: values } };
}

/**
 * [b, p, h, D] ↔ [b, h, p, D]. With one position (every decode step) the data order is the same,
 * so a free reshape replaces a transpose kernel: decode time is mostly per-kernel overhead.
 */
function swapPosAndHeads(x: tf.Tensor4D): tf.Tensor4D {
  const [b, p, h, D] = x.shape;
  return p === 1 || h === 1 ? tf.reshape(x, [b, h, p, D]) : tf.transpose(x, [0, 2, 1, 3]);
}

/** Rows above which per-matrix 2-D matmuls beat one batched matmul (see batchedMatMul). */
const PER_MATRIX_MIN_ROWS = 16;

/**
 * a [..., m, k] @ b [..., k, n] (or bᵀ when transposeB) over matching leading dims. tfjs-wasm
 * runs 2-D, untransposed matmuls through XNNPACK but batched or transposed ones through a generic
 * loop that is several times slower, so inputs with many rows go matrix by matrix; a decode
 * step's single row would pay more in per-call set-up than it saves.
 */
function batchedMatMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeB: boolean): T {
  const m = a.shape[a.rank - 2]!;
  if (m < PER_MATRIX_MIN_ROWS) return tf.matMul(a, b, false, transposeB) as T;
  const lead = a.shape.slice(0, -2);
  const as = tf.unstack(tf.reshape(a, [-1, m, a.shape[a.rank - 1]!]));
  const bs = tf.unstack(tf.reshape(b, [-1, b.shape[b.rank - 2]!, b.shape[b.rank - 1]!]));
  const out = tf.stack(as.map((ai, i) => tf.matMul(ai, transposeB ? tf.transpose(bs[i]!) : bs[i]!)));
  return tf.reshape(out, [...lead, m, out.shape[2]!]) as T;
}

/** result[b, p, h] = z[b, p, h] @ W_O[h]: z [b, p, H, D], W_O [H·D, d] → [b, p, H, d]. */
function perHeadResult(z: tf.Tensor4D, W_O: tf.Tensor, dModel: number): tf.Tensor4D {
  const [batch, pos, H, D] = z.shape;
  const zByHead = tf.transpose(tf.reshape(z, [batch * pos, H, D]), [1, 0, 2]); // [H, b*p, D]
  const perHead = batchedMatMul(zByHead, tf.reshape(W_O, [H, D, dModel]), false); // [H, b*p, d]
  return tf.reshape(tf.transpose(perHead, [1, 0, 2]), [batch, pos, H, dModel]);
}

function mlp(x: tf.Tensor3D, io: BlockInputs): tf.Tensor3D {
  const { spec, w, layer: l, hp } = io;
  const m = `blocks.${l}.mlp`;
  let post: tf.Tensor3D; // [b, p, dMlp]
  if (spec.mlp === 'swiglu') {
    const [gate, up] = tf.split(linear(x, w.get(`${m}.W_GU`), w.maybe(`${m}.b_GU`)), 2, 2);
    const pre = hp(`blocks.${l}.mlp.hook_pre`, gate as tf.Tensor3D);
    post = tf.mul(activation(pre, spec.act), hp(`blocks.${l}.mlp.hook_pre_linear`, up as tf.Tensor3D));
  } else {
    const pre = hp(`blocks.${l}.mlp.hook_pre`, linear(x, w.get(`${m}.W_in`), w.maybe(`${m}.b_in`)));
    post = activation(pre, spec.act);
  }
  return linear(hp(`blocks.${l}.mlp.hook_post`, post), w.get(`${m}.W_out`), w.maybe(`${m}.b_out`));
}

/** Gemma 2's soft-capping: cap·tanh(x / cap), smooth and bounded by ±cap. */
export function softcap<T extends tf.Tensor>(x: T, cap: number): T {
  return tf.mul(tf.tanh(tf.div(x, cap)), cap);
}

function activation(x: tf.Tensor3D, act: ModelSpec['act']): tf.Tensor3D {
  switch (act) {
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_new': {
      // GPT-2's tanh approximation 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), written as
      // x·sigmoid(2u): the same function (to 2e-7), and tfjs-wasm's sigmoid is ~5x faster than tanh.
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI));
      return tf.mul(x, tf.sigmoid(inner));
    }
  }
}
