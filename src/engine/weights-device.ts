/**
 * Weights on the device: uploaded once, in the layouts the kernels want, immutable until
 * `dispose()`. The forward pass only ever reads them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from './errors';
import { splitColumns, splitVector } from './families/convert';
import { denseWeight, isBfloat16, type MatrixWeight, packWeight } from './kernels/ops';
import { expectedWeights, type HostTensor, type ModelSpec } from './spec';
import { roundToBfloat16 } from './weights/dtype';

/**
 * 'bfloat16': the matrices the forward pass multiplies by (attention, MLP, unembedding; a tied
 * embedding with them) are rounded to bfloat16 as they load, whatever the checkpoint holds. On
 * WebAssembly they are then held in 16-bit panels: half the memory, and a decode step streams half
 * the bytes. Embeddings of an untied model, norms and biases keep the checkpoint's values. Absent:
 * every value as the checkpoint has it.
 */
export type WeightPrecision = 'bfloat16';

export interface UploadOptions {
  /** Each host tensor leaves the map as soon as it is on the device (see `upload`). */
  readonly consume?: boolean;
  /** false keeps float32 panels even for bfloat16 values (to compare the two). */
  readonly bf16?: boolean;
  readonly precision?: WeightPrecision;
}

export class DeviceWeights {
  /** Every weight that is not a packed matrix (on WebAssembly) as one tensor in its canonical layout. */
  private readonly tensors = new Map<string, tf.Tensor>();
  /**
   * On WebAssembly, the matrices the forward pass multiplies by, packed for the native matmul and
   * held only that way (W is unpacked on the rare paths that want it: gradients, weight edits).
   */
  private readonly packed = new Map<string, { k: number; n: number; panels: tf.Tensor }>();
  /** Fused device matrices and the canonical weights they hold, column block by column block. */
  private readonly fusions = new Map<string, readonly string[]>();
  /** True when embeddings are gathered from the columns of W_U (tied models hold one copy). */
  readonly embedFromUnembed: boolean;

  private constructor(
    spec: ModelSpec,
    /** What the matrices were rounded to as they loaded, if anything. */
    readonly precision: WeightPrecision | undefined,
  ) {
    this.embedFromUnembed = spec.tiedEmbeddings;
  }

  /**
   * Uploads canonical host weights (see spec.ts). Checks every expected name and shape first,
   * listing all problems at once, so a bad checkpoint never half-uploads. With `consume`, each
   * host tensor leaves the map as soon as it is on the device, and fused matrices are built one
   * at a time, so a loading model never holds all its host copies, fused copies and device copies
   * at once (for Qwen2.5-0.5B that would be about 5.4 GB instead of about 2 GB). On WebAssembly a
   * matrix whose values are all bfloat16 (a bfloat16 checkpoint's) is held in 16-bit panels: the
   * same numbers in half the memory, and half the bytes a decode step streams; `bf16: false`
   * keeps float32 panels (to compare the two). `precision` rounds the matrices first.
   */
  static upload(
    spec: ModelSpec,
    host: ReadonlyMap<string, HostTensor>,
    opts: UploadOptions = {},
  ): DeviceWeights {
    assertCanonical(spec, host);
    const weights = new DeviceWeights(spec, opts.precision);
    const take = (name: string): HostTensor => {
      const t = host.get(name)!;
      if (opts.consume) (host as Map<string, HostTensor>).delete(name);
      return t;
    };
    // Uploads one weight. A matrix is rounded to bfloat16 first with `precision`, and its panels
    // hold it in 16 bits, exactly, when its values are all bfloat16: rounded ones are (not scanned
    // again), and so are a bfloat16 checkpoint's.
    // transposed: the host tensor holds the matrix's transpose (the unembedding arrives as [vocab, dModel]).
    const upload = (name: string, host: HostTensor, transposed = false) => {
      const matrix = MATRIX.test(name);
      const round = matrix && opts.precision === 'bfloat16';
      const data = round ? roundToBfloat16(host.data) : host.data;
      const t = tf.tensor(data, [...host.shape], 'float32');
      const bf16 = matrix && opts.bf16 !== false && (round || isBfloat16(data));
      const panels = matrix ? packWeight(t as tf.Tensor2D, bf16, transposed) : undefined;
      if (!panels) return weights.tensors.set(name, transposed ? transposeAndDispose(t) : t);
      // One copy on the device: the packed panels replace W as soon as they exist.
      const [k, n] = transposed ? [t.shape[1]!, t.shape[0]!] : [t.shape[0]!, t.shape[1]!];
      weights.packed.set(name, { k, n, panels });
      t.dispose();
    };
    try {
      const fused = new Set<string>();
      for (const [name, parts] of projectionFusions(spec)) {
        weights.fusions.set(name, parts);
        upload(name, concatColumns(parts.map(take)));
        for (const part of parts) fused.add(part);
      }
      for (const name of [...host.keys()])
        if (!fused.has(name) && name !== 'embed.W_E' && name !== 'unembed.W_U') upload(name, take(name));
      const E = take('embed.W_E');
      const U = spec.tiedEmbeddings ? E : take('unembed.W_U');
      // Held as [dModel, vocab] (or its panels): x @ W_U without a transposed operand, which
      // tfjs-wasm runs ~10x slower. Packing reads [vocab, dModel] as it is, so no transposed copy
      // of the largest matrix is made on the way (1 GB at Llama-3.2-1B's vocabulary).
      upload('unembed.W_U', U, true);
      if (!spec.tiedEmbeddings) upload('embed.W_E', E);
    } catch (e) {
      weights.dispose();
      throw e;
    }
    return weights;
  }

  /** A weight that is not a matrix the forward pass multiplies by (those: `matrix`, `dense`). */
  get(name: string): tf.Tensor {
    const t = this.tensors.get(name);
    if (t) return t;
    if (this.packed.has(name)) throw new Error(`internal: ${name} is held packed; use matrix() or dense()`);
    throw new Error(`internal: weight ${name} is not loaded`);
  }

  maybe(name: string): tf.Tensor | undefined {
    return this.tensors.get(name);
  }

  /** A matrix the forward pass multiplies activations by (for kernels/ops.ts's matMul). */
  matrix(name: string): MatrixWeight {
    const p = this.packed.get(name);
    if (p) return { k: p.k, n: p.n, W: undefined, packed: p.panels };
    const W = this.get(name) as tf.Tensor2D;
    return { k: W.shape[0], n: W.shape[1], W, packed: undefined };
  }

  /** A matrix's values [k, n] as a new tensor, whichever way it is held: call inside tf.tidy. */
  dense(name: string): tf.Tensor2D {
    return denseWeight(this.matrix(name));
  }

  /**
   * The canonical host weights (spec.ts layouts), read back from the device: fused matrices are
   * split again and the unembedding transposed back. For weight edits that build a new model.
   */
  toHost(spec: ModelSpec): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    const read = (name: string, transpose = false): HostTensor => {
      const t = tf.tidy(() => {
        const values = this.packed.has(name) ? this.dense(name) : tf.clone(this.get(name));
        return transpose ? tf.transpose(values) : values;
      });
      const host = readHost(t);
      t.dispose();
      return host;
    };
    for (const name of [...this.tensors.keys(), ...this.packed.keys()]) {
      if (name === 'unembed.W_U') {
        out.set(spec.tiedEmbeddings ? 'embed.W_E' : 'unembed.W_U', read(name, true));
        continue;
      }
      const parts = this.fusions.get(name);
      if (!parts) {
        out.set(name, read(name));
        continue;
      }
      const whole = read(name);
      const widths = parts.map((p) => expectedWeights(spec).get(p)!.at(-1)!);
      // The inverse of concatColumns: one tensor per column block (biases are vectors).
      const split = whole.shape.length === 2 ? splitColumns(whole, widths) : splitVector(whole, widths);
      split.forEach((part, i) => out.set(parts[i]!, part));
    }
    return out;
  }

  /** Total bytes held on the device (packed panels, padding included). */
  get bytes(): number {
    let n = 0;
    for (const t of this.all()) n += t.size * 4;
    return n;
  }

  dispose(): void {
    for (const t of this.all()) t.dispose();
    this.tensors.clear();
    this.packed.clear();
  }

  private all(): tf.Tensor[] {
    return [...this.tensors.values(), ...[...this.packed.values()].map((p) => p.panels)];
  }
}

/**
 * The matrices activations are multiplied by: the fused projections, W_O, the MLP's and the
 * unembedding. On WebAssembly each is held packed instead of as W.
 */
const MATRIX = /(\.W_(QKV|O|in|out|GU)|^unembed\.W_U)$/;

/**
 * One matmul instead of three (q|k|v) or two (gate|up): at decode time a step is a chain of small
 * matrix-vector products, and each kernel launch costs as much as a large share of its work.
 *   blocks.{l}.attn.W_QKV [dModel, (nHeads + 2·nKvHeads)·dHead], b_QKV likewise
 *   blocks.{l}.mlp.W_GU   [dModel, 2·dMlp]   (gated MLPs: gate columns, then up columns), b_GU likewise
 */
function projectionFusions(spec: ModelSpec): Map<string, string[]> {
  const fusions = new Map<string, string[]>();
  for (let l = 0; l < spec.nLayers; l++) {
    const a = `blocks.${l}.attn`;
    fusions.set(`${a}.W_QKV`, [`${a}.W_Q`, `${a}.W_K`, `${a}.W_V`]);
    if (spec.qkvBias) fusions.set(`${a}.b_QKV`, [`${a}.b_Q`, `${a}.b_K`, `${a}.b_V`]);
    const m = `blocks.${l}.mlp`;
    if (spec.mlp === 'swiglu') fusions.set(`${m}.W_GU`, [`${m}.W_gate`, `${m}.W_in`]);
    if (spec.mlp === 'swiglu' && spec.mlpBias) fusions.set(`${m}.b_GU`, [`${m}.b_gate`, `${m}.b_in`]);
  }
  return fusions;
}

function readHost(t: tf.Tensor): HostTensor {
  return { shape: t.shape, data: Float32Array.from(t.dataSync()) };
}

/** Concatenates [rows, c_i] matrices (or vectors) along their last axis (families/to-hf.ts too). */
export function concatColumns(parts: readonly HostTensor[]): HostTensor {
  const rows = parts[0]!.shape.length === 2 ? parts[0]!.shape[0]! : 1;
  const cols = parts.map((p) => p.data.length / rows);
  const width = cols.reduce((x, y) => x + y, 0);
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let at = r * width;
    parts.forEach((p, i) => {
      data.set(p.data.subarray(r * cols[i]!, (r + 1) * cols[i]!), at);
      at += cols[i]!;
    });
  }
  return { shape: parts[0]!.shape.length === 2 ? [rows, width] : [width], data };
}

function transposeAndDispose(t: tf.Tensor): tf.Tensor {
  const transposed = tf.transpose(t);
  t.dispose();
  return transposed;
}

function assertCanonical(spec: ModelSpec, host: ReadonlyMap<string, HostTensor>): void {
  const expected = expectedWeights(spec);
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [name, shape] of expected) {
    const t = host.get(name);
    if (!t) missing.push(name);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      mismatched.push(`${name} is [${t.shape}], expected [${shape}]`);
    else if (t.data.length !== shape.reduce((a, b) => a * b, 1))
      mismatched.push(`${name} holds ${t.data.length} values for shape [${shape}]`);
  }
  const unexpected = [...host.keys()].filter((n) => !expected.has(n));
  if (missing.length || mismatched.length || unexpected.length) {
    const parts = [
      missing.length ? `missing: ${missing.join(', ')}` : '',
      mismatched.length ? `wrong shape: ${mismatched.join('; ')}` : '',
      unexpected.length ? `unexpected: ${unexpected.join(', ')}` : '',
    ].filter(Boolean);
    throw new ShapeMismatchError(`The weights do not match the model's config. ${parts.join('. ')}.`);
  }
}
