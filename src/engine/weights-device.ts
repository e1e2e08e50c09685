/**
 * Weights on the device: uploaded once, in the layouts the kernels want, immutable until
 * `dispose()`. The forward pass only ever reads them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from './errors';
import { splitColumns, splitVector } from './families/convert';
import { type MatrixWeight, packWeight } from './kernels/ops';
import { expectedWeights, type HostTensor, type ModelSpec } from './spec';

export class DeviceWeights {
  private readonly tensors = new Map<string, tf.Tensor>();
  /** The matrices the forward pass multiplies by, packed for the native matmul (WebAssembly only). */
  private readonly packed = new Map<string, tf.Tensor>();
  /** Fused device matrices and the canonical weights they hold, column block by column block. */
  private readonly fusions = new Map<string, readonly string[]>();
  /** True when embeddings are gathered from the columns of W_U (tied models hold one copy). */
  readonly embedFromUnembed: boolean;

  private constructor(spec: ModelSpec) {
    this.embedFromUnembed = spec.tiedEmbeddings;
  }

  /**
   * Uploads canonical host weights (see spec.ts). Checks every expected name and shape first,
   * listing all problems at once, so a bad checkpoint never half-uploads. With `consume`, each
   * host tensor leaves the map as soon as it is on the device, and fused matrices are built one
   * at a time, so a loading model never holds all its host copies, fused copies and device copies
   * at once (for Qwen2.5-0.5B that would be about 5.4 GB instead of about 2 GB).
   */
  static upload(
    spec: ModelSpec,
    host: ReadonlyMap<string, HostTensor>,
    opts: { readonly consume?: boolean } = {},
  ): DeviceWeights {
    assertCanonical(spec, host);
    const weights = new DeviceWeights(spec);
    const take = (name: string): HostTensor => {
      const t = host.get(name)!;
      if (opts.consume) (host as Map<string, HostTensor>).delete(name);
      return t;
    };
    const put = (name: string, t: HostTensor) =>
      weights.tensors.set(name, tf.tensor(t.data, [...t.shape], 'float32'));
    try {
      for (const [name, parts] of projectionFusions(spec)) {
        weights.fusions.set(name, parts);
        put(name, concatColumns(parts.map(take)));
      }
      for (const name of [...host.keys()])
        if (name !== 'embed.W_E' && name !== 'unembed.W_U') put(name, take(name));
      const E = take('embed.W_E');
      const U = spec.tiedEmbeddings ? E : take('unembed.W_U');
      // [dModel, vocab]: x @ W_U without a transposed operand, which tfjs-wasm runs ~10x slower.
      weights.tensors.set('unembed.W_U', transposeOnDevice(U));
      if (!spec.tiedEmbeddings) put('embed.W_E', E);
      for (const [name, t] of weights.tensors) {
        const packed = MATRIX.test(name) ? packWeight(t as tf.Tensor2D) : undefined;
        if (packed) weights.packed.set(name, packed);
      }
    } catch (e) {
      weights.dispose();
      throw e;
    }
    return weights;
  }

  get(name: string): tf.Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`internal: weight ${name} is not loaded`);
    return t;
  }

  maybe(name: string): tf.Tensor | undefined {
    return this.tensors.get(name);
  }

  /** A matrix the forward pass multiplies activations by, with its packed copy where there is one. */
  matrix(name: string): MatrixWeight {
    return { W: this.get(name) as tf.Tensor2D, packed: this.packed.get(name) };
  }

  /**
   * The canonical host weights (spec.ts layouts), read back from the device: fused matrices are
   * split again and the unembedding transposed back. For weight edits that build a new model.
   */
  toHost(spec: ModelSpec): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const [name, t] of this.tensors) {
      if (name === 'unembed.W_U') {
        const back = tf.tidy(() => tf.transpose(t));
        out.set(spec.tiedEmbeddings ? 'embed.W_E' : 'unembed.W_U', readHost(back));
        back.dispose();
        continue;
      }
      const parts = this.fusions.get(name);
      if (!parts) {
        out.set(name, readHost(t));
        continue;
      }
      const whole = readHost(t);
      const widths = parts.map((p) => expectedWeights(spec).get(p)!.at(-1)!);
      // The inverse of concatColumns: one tensor per column block (biases are vectors).
      const split = whole.shape.length === 2 ? splitColumns(whole, widths) : splitVector(whole, widths);
      split.forEach((part, i) => out.set(parts[i]!, part));
    }
    return out;
  }

  /** Total bytes held on the device (packed copies included). */
  get bytes(): number {
    let n = 0;
    for (const t of [...this.tensors.values(), ...this.packed.values()]) n += t.size * 4;
    return n;
  }

  dispose(): void {
    for (const t of [...this.tensors.values(), ...this.packed.values()]) t.dispose();
    this.tensors.clear();
    this.packed.clear();
  }
}

/**
 * The matrices activations are multiplied by: the fused projections, W_O, the MLP's and the
 * unembedding. On WebAssembly each also gets a packed copy (tfjs's XNNPACK kept one too, inside
 * its operator cache, for the matmuls it ran).
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

function transposeOnDevice(t: HostTensor): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.tensor2d(t.data, [t.shape[0]!, t.shape[1]!])));
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
