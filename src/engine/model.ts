/**
 * A loaded model: its blueprint, its weights on the device and (when it has one) its tokenizer.
 * Stateless between calls: generation state lives in a KvCache the caller creates.
 */
import { type ForwardModel, type RunOptions, type RunResult, run } from './forward';
import { buildRotaryTables, type RotaryTables } from './rotary';
import type { HostTensor, ModelSpec } from './spec';
import type { RudderTokenizer } from './tokenizer';
import { DeviceWeights, type UploadOptions } from './weights-device';

/** Rotary tables cover at most this many positions (Qwen's 32k context would cost 16 MB more). */
const MAX_ROTARY_POSITIONS = 8192;

export class Model implements ForwardModel {
  readonly rotary: RotaryTables | undefined;
  private disposed = false;

  private constructor(
    /** A stable name for this model (repo id, folder or URL), used to match vectors to models. */
    readonly id: string,
    readonly spec: ModelSpec,
    readonly weights: DeviceWeights,
    readonly tokenizer: RudderTokenizer | undefined,
  ) {
    this.rotary = spec.rotary
      ? buildRotaryTables(spec.rotary, Math.min(spec.nCtx, MAX_ROTARY_POSITIONS))
      : undefined;
  }

  /**
   * Uploads canonical host weights (spec.ts) and returns the model that owns them. With
   * `consume`, `host` is emptied as its tensors reach the device; `bf16: false` keeps a bfloat16
   * checkpoint's matrices in float32 panels; `precision` rounds the matrices as they load (see
   * DeviceWeights.upload).
   */
  static fromHost(
    id: string,
    spec: ModelSpec,
    host: ReadonlyMap<string, HostTensor>,
    tokenizer?: RudderTokenizer,
    opts: UploadOptions = {},
  ): Model {
    if (spec.rotary && spec.nCtx > MAX_ROTARY_POSITIONS) {
      spec = { ...spec, nCtx: MAX_ROTARY_POSITIONS };
    }
    return new Model(id, spec, DeviceWeights.upload(spec, host, opts), tokenizer);
  }

  /**
   * Runs tokens ([batch][pos], or one row) through the model. Returns logits and the cached
   * activations; the caller disposes both (`disposeResult`).
   */
  run(tokens: readonly number[] | readonly (readonly number[])[], opts?: RunOptions): RunResult {
    if (this.disposed) throw new Error('This model has been disposed.');
    const batch = (Array.isArray(tokens[0]) ? tokens : [tokens]) as readonly (readonly number[])[];
    return run(this, batch, opts);
  }

  /** The canonical host weights (spec.ts), read back from the device, e.g. to build an edited model. */
  hostWeights(): Map<string, HostTensor> {
    return this.weights.toHost(this.spec);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weights.dispose();
    this.rotary?.cos.dispose();
    this.rotary?.sin.dispose();
  }
}
