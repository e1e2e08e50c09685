/**
 * Weights on the device: uploaded once, in the layouts the kernels want, immutable until
 * `dispose()`. The forward pass only ever reads them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from './errors';
import { expectedWeights, type HostTensor, type ModelSpec } from './spec';

export class DeviceWeights {
  private readonly tensors = new Map<string, tf.Tensor>();
  /** True when embeddings are gathered from the columns of W_U (tied models hold one copy). */
  readonly embedFromUnembed: boolean;

  private constructor(spec: ModelSpec) {
    this.embedFromUnembed = spec.tiedEmbeddings;
  }

  /**
   * Uploads canonical host weights (see spec.ts). Checks every expected name and shape first,
   * listing all problems at once, so a bad checkpoint never half-uploads.
   */
  static upload(spec: ModelSpec, host: ReadonlyMap<string, HostTensor>): DeviceWeights {
    assertCanonical(spec, host);
    const weights = new DeviceWeights(spec);
    try {
      for (const [name, t] of host) {
        if (name === 'embed.W_E' || name === 'unembed.W_U') continue;
        weights.tensors.set(name, tf.tensor(t.data, [...t.shape], 'float32'));
      }
      const E = host.get('embed.W_E')!;
      const U = spec.tiedEmbeddings ? E : host.get('unembed.W_U')!;
      // [dModel, vocab]: x @ W_U without a transposed operand, which tfjs-wasm runs ~10x slower.
      weights.tensors.set('unembed.W_U', transposeOnDevice(U));
      if (!spec.tiedEmbeddings) weights.tensors.set('embed.W_E', tf.tensor(E.data, [...E.shape], 'float32'));
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

  /** Total bytes held on the device. */
  get bytes(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.size * 4;
    return n;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
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
