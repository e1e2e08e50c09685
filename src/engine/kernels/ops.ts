/**
 * The block's fused operations. On WebAssembly each is one of Rudder's kernels (native.ts); on
 * other backends, and while a gradient tape records (the native kernels have no gradients), the
 * same function composed of tfjs ops. Both compute the same formula in the same order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../spec';
import { NATIVE, NATIVE_ACTIVATIONS, NO_ACTIVATION, nativeKernelsReady } from './native';

/**
 * A weight matrix [k, n]: on WebAssembly only its packed panels (see `packWeight`), elsewhere W.
 * One copy either way: a device holding both would need twice the weights' memory.
 */
export interface MatrixWeight {
  readonly k: number;
  readonly n: number;
  readonly W: tf.Tensor2D | undefined;
  readonly packed: tf.Tensor | undefined;
}

let composedDepth = 0;

/**
 * Runs `fn` with every fused operation composed of tfjs ops, as while a gradient tape records.
 * Activations compared with a gradient pass's (attribution patching) then come from the same
 * kernels, bit for bit, instead of differing by float rounding.
 */
export function withComposedOps<T>(fn: () => T): T {
  composedDepth++;
  try {
    return fn();
  } finally {
    composedDepth--;
  }
}

/** Whether this call may use the native kernels. */
function native(): boolean {
  const tapeOn = (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
  return composedDepth === 0 && !tapeOn && nativeKernelsReady();
}

const run = <T extends tf.Tensor>(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): T =>
  tf.engine().runKernel(name, inputs, attrs) as T;

/** A kernel with more than one output (the second only when asked for). */
const runMany = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor[] =>
  tf.engine().runKernel(name, inputs, attrs) as unknown as tf.Tensor[];

/** Inputs without the ones left out (tfjs's runKernel refuses undefined entries). */
function given(inputs: Record<string, tf.Tensor | undefined>): tf.NamedTensorMap {
  return Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
}

/**
 * W [k, n] in the layout of the native matmul (column panels of 8, each [k, 8] contiguous), or
 * undefined where the native kernels do not run. Made once per weight, at load. With `bf16` the
 * panels hold each weight's high 16 bits (an int32 tensor, two to an element): half the memory and
 * half the bytes a decode step streams, and exact only when every weight is a bfloat16 value
 * (`isBfloat16`), which the caller checks. With `transposed`, W holds the matrix's transpose
 * [n, k] (a tied unembedding's embedding), packed with no transposed copy.
 */
export function packWeight(W: tf.Tensor2D, bf16: boolean, transposed = false): tf.Tensor | undefined {
  return nativeKernelsReady() ? run(NATIVE.packPanels, { w: W }, { half: bf16, transposed }) : undefined;
}

/** Whether every value is a bfloat16 (its low 16 bits zero): a bfloat16 checkpoint's weights. */
export function isBfloat16(values: Float32Array): boolean {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) if (bits[i]! & 0xffff) return false;
  return true;
}

/**
 * W [k, n] as a tensor: the stored one (a clone, so the caller may dispose it) or unpacked from its
 * panels. Either way a new tensor: call inside tf.tidy.
 */
export function denseWeight(w: MatrixWeight): tf.Tensor2D {
  return w.W ? tf.clone(w.W) : run(NATIVE.unpackPanels, { packed: w.packed! }, { k: w.k, n: w.n });
}

/** The columns `ids` [t] of W [k, n] as rows, [t, k] (a tied unembedding's embedding rows). */
export function gatherColumns(w: MatrixWeight, ids: tf.Tensor1D): tf.Tensor2D {
  if (w.W) return tf.transpose(tf.gather(w.W, ids, 1));
  return run(NATIVE.panelColumns, { packed: w.packed!, ids: tf.cast(ids, 'int32') }, { k: w.k, n: w.n });
}

/**
 * x [m, k] @ W [k, n] (+ bias [n]) → [m, n], then `act` if given (the MLP's input projection:
 * natively the activation is applied to each output block while it is still in registers, so the
 * pre-activations are never written). Off the native path (a gradient tape, composed ops) a
 * packed-only W is unpacked for the call: call inside tf.tidy, which frees it.
 */
export function matMul(
  x: tf.Tensor2D,
  w: MatrixWeight,
  bias: tf.Tensor | undefined,
  act?: ModelSpec['act'],
): tf.Tensor2D {
  if (w.packed && native() && act !== 'gelu') {
    const inputs: tf.NamedTensorMap = bias ? { a: x, packed: w.packed, bias } : { a: x, packed: w.packed };
    return run(NATIVE.matMul, inputs, { n: w.n, act: act ? NATIVE_ACTIVATIONS[act] : NO_ACTIVATION });
  }
  const product = w.packed && native() ? matMul(x, w, bias) : composedMatMul(x, w, bias);
  return act ? activate(product, act) : product;
}

function composedMatMul(x: tf.Tensor2D, w: MatrixWeight, bias: tf.Tensor | undefined): tf.Tensor2D {
  const W = w.W ?? denseWeight(w);
  return (bias ? tf.fused.matMul({ a: x, b: W, bias }) : tf.matMul(x, W)) as tf.Tensor2D;
}

/**
 * [b, p, h, D] ↔ [b, h, p, D]. With one position (every decode step) the data order is the same,
 * so a free reshape replaces a transpose kernel: decode time is mostly per-kernel overhead.
 */
export function swapPosAndHeads(x: tf.Tensor4D): tf.Tensor4D {
  const [b, p, h, D] = x.shape;
  return p === 1 || h === 1 ? tf.reshape(x, [b, h, p, D]) : tf.transpose(x, [0, 2, 1, 3]);
}

export interface AttentionOptions {
  /** Multiplies q·k (1/√dHead unless the spec says otherwise). */
  readonly scale: number;
  /** Gemma 2's soft-capping of the scaled scores, before the mask. */
  readonly softcap: number | undefined;
  /** Return the masked scores before the softmax as well (hook_attn_scores). */
  readonly withScores: boolean;
}

/**
 * softmax(cap(q·kᵀ·scale) + mask) over the keys. q [b, p, H, D] (as hook_q), keys [b, K, T, D] (the
 * KV cache's layout), mask [1 | b, 1, p, T] or none → pattern [b, H, p, T], and with `withScores`
 * the scores before the softmax. Query head i reads key head i / (H / K) (grouped-query
 * attention, without repeating the keys).
 */
export function attentionPattern(
  q: tf.Tensor4D,
  keys: tf.Tensor4D,
  mask: tf.Tensor | undefined,
  opts: AttentionOptions,
): { pattern: tf.Tensor4D; scores?: tf.Tensor4D } {
  if (native()) {
    const attrs = { scale: opts.scale, softcap: opts.softcap ?? 0, withScores: opts.withScores };
    const [pattern, scores] = runMany(NATIVE.attnPattern, given({ q, k: keys, mask }), attrs);
    return { pattern: pattern as tf.Tensor4D, scores: scores as tf.Tensor4D | undefined };
  }
  const [b, p, H, D] = q.shape;
  const [, K, T] = keys.shape;
  // The G = H/K query heads that share a key head are stacked along the query axis: one batched matmul.
  const grouped = tf.reshape(swapPosAndHeads(q), [b, K, (H / K) * p, D]);
  const raw = tf.mul(tf.matMul(grouped, keys, false, true), opts.scale);
  let scores: tf.Tensor4D = tf.reshape(raw, [b, H, p, T]);
  if (opts.softcap) scores = softcap(scores, opts.softcap);
  if (mask) scores = tf.add(scores, mask);
  return { pattern: tf.softmax(scores), scores: opts.withScores ? scores : undefined };
}

/** z = pattern · values: pattern [b, H, p, T], values [b, K, T, D] → z [b, p, H, D] (as hook_z). */
export function attentionMix(pattern: tf.Tensor4D, values: tf.Tensor4D): tf.Tensor4D {
  if (native()) return run(NATIVE.attnMix, { pattern, v: values });
  const [b, H, p, T] = pattern.shape;
  const [, K, , D] = values.shape;
  const zh = tf.matMul(tf.reshape(pattern, [b, K, (H / K) * p, T]), values); // [b, K, G·p, D]
  return swapPosAndHeads(tf.reshape(zh, [b, H, p, D]));
}

/**
 * Each head's share of the attention output, before the heads are summed (hook_result):
 * result[b, p, h] = z[b, p, h] @ W_O[h·D .. (h+1)·D]: z [b, p, H, D], W_O [H·D, d] → [b, p, H, d].
 */
export function headResults(z: tf.Tensor4D, W_O: MatrixWeight): tf.Tensor4D {
  if (W_O.packed && native()) return run(NATIVE.headResults, { z, packed: W_O.packed }, { n: W_O.n });
  const [b, p, H, D] = z.shape;
  const d = W_O.n;
  const zByHead = tf.transpose(tf.reshape(z, [b * p, H, D]), [1, 0, 2]); // [H, b·p, D]
  const perHead = tf.matMul(zByHead, tf.reshape(W_O.W ?? denseWeight(W_O), [H, D, d])); // [H, b·p, d]
  return tf.reshape(tf.transpose(perHead, [1, 0, 2]), [b, p, H, d]);
}

/**
 * The logit lens's per-row statistics, one pass over the vocabulary: logits x [n·pos, v] (row r
 * at position r mod pos), the model's final logits xf [pos, v] and probabilities pf → [n·pos, 4]
 * holding m = max x, z = Σ e, s = Σ e·x for e = exp(x − m), and g = Σ pf·(xf − x).
 */
export function lensStats(x: tf.Tensor2D, xf: tf.Tensor2D, pf: tf.Tensor2D): tf.Tensor2D {
  if (native()) return run(NATIVE.lensStats, { x, xf, pf });
  const [rows, v] = x.shape;
  const m = tf.max(x, 1, true);
  const e = tf.exp(tf.sub(x, m));
  const gap = tf.sum(tf.mul(tf.sub(xf, tf.reshape(x, [rows / xf.shape[0], xf.shape[0], v])), pf), 2);
  return tf.concat(
    [m, tf.sum(e, 1, true), tf.sum(tf.mul(e, x), 1, true), tf.reshape(gap, [rows, 1])],
    1,
  ) as tf.Tensor2D;
}

/** The attention output from the heads' results: Σ_h result[b, p, h] (+ b_O) → [b, p, d]. */
export function sumHeads(result: tf.Tensor4D, bias: tf.Tensor | undefined): tf.Tensor3D {
  if (native()) return run(NATIVE.sumHeads, bias ? { x: result, bias } : { x: result });
  const out = tf.sum(result, 2) as tf.Tensor3D;
  return bias ? tf.add(out, bias) : out;
}

/**
 * LayerNorm (with a bias) or RMSNorm (without) over the last axis: (x − mean) / scale · w + b, or
 * x / scale · w, with scale = √(mean of the (centred) squares + eps), which `withScale` returns too
 * ([..., 1], hook_scale).
 */
export function normalize<T extends tf.Tensor>(
  x: T,
  w: tf.Tensor,
  b: tf.Tensor | undefined,
  eps: number,
  withScale: boolean,
): { out: T; scale?: T } {
  if (native()) {
    const [out, scale] = runMany(NATIVE.norm, given({ x, w, b }), { eps, withScale });
    return { out: out as T, scale: scale as T | undefined };
  }
  const centred = b ? tf.sub(x, tf.mean(x, -1, true)) : x;
  const ms = tf.add(tf.mean(tf.square(centred), -1, true), eps);
  const scale = withScale ? (tf.sqrt(ms) as T) : undefined;
  const scaled = tf.mul(scale ? tf.div(centred, scale) : tf.mul(centred, tf.rsqrt(ms)), w);
  return { out: (b ? tf.add(scaled, b) : scaled) as T, scale };
}

/** The MLP's activation: SiLU, erf GELU, or GPT-2's tanh GELU (`gelu_new`). */
export function activate<T extends tf.Tensor>(x: T, act: ModelSpec['act']): T {
  if (act !== 'gelu' && native()) return run(NATIVE.activate, { x }, { kind: NATIVE_ACTIVATIONS[act] });
  switch (act) {
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'gelu_new': {
      // 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), written as x·sigmoid(2u): the same
      // function (to 2e-7), and tfjs-wasm's sigmoid is ~5x faster than its tanh.
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI));
      return tf.mul(x, tf.sigmoid(inner));
    }
  }
}

/** A gated MLP on the fused gate|up projection: [..., 2m] → act(gate) · up [..., m] (SwiGLU, GeGLU). */
export function gatedActivation<T extends tf.Tensor>(gateUp: T, act: ModelSpec['act']): T {
  if (act !== 'gelu' && native()) return run(NATIVE.gated, { x: gateUp }, { kind: NATIVE_ACTIVATIONS[act] });
  const [gate, up] = tf.split(gateUp, 2, -1);
  return tf.mul(activate(gate!, act), up!);
}

/** Gemma 2's soft-capping: cap·tanh(x / cap), smooth and bounded by ±cap. */
export function softcap<T extends tf.Tensor>(x: T, cap: number): T {
  return tf.mul(tf.tanh(tf.div(x, cap)), cap);
}
