/**
 * What `npm run bench:web` asks of each engine's worker (Rudder's and onnxruntime-web's), so that
 * both are timed the same way: inside their worker, from the call to the figures in JS memory.
 */

export type BenchBackend = 'wasm' | 'webgpu';

export interface WorkerInfo {
  /** The backend or execution provider that actually runs, and its thread count on WebAssembly. */
  readonly backend: string;
  readonly threads: number | undefined;
  /** Library and version, for the printed table. */
  readonly version: string;
}

export interface EngineWorker {
  init(backend: BenchBackend, threads: number): Promise<WorkerInfo>;
  /**
   * Loads the model under `base` (the checkpoint folder, with onnx/ beside its weights); Rudder
   * rounds its matrices to bfloat16 with `precision` (the page's "16-bit weights").
   */
  load(base: string, precision?: 'bfloat16'): Promise<void>;
  /** One prompt pass with logits of the last position, read back: ms. */
  prefill(tokens: readonly number[]): Promise<number>;
  /** A prompt pass, then `steps` greedy decode steps with a KV cache: ms of the decode steps only. */
  decode(tokens: readonly number[], steps: number): Promise<number>;
  /** The prompt pass returning every hook point's activation as well: ms. */
  fullCache(tokens: readonly number[]): Promise<number>;
  /** Rudder only: kernel timings of one prompt pass (tf.profile), summed by kernel. */
  profile?(tokens: readonly number[], cache: boolean): Promise<KernelRow[]>;
}

export interface KernelRow {
  readonly kernel: string;
  readonly calls: number;
  readonly ms: number;
}

/** The prompt both engines see: 64 fixed ids spread over the vocabulary. */
export function benchPrompt(vocabSize: number, length = 64): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % vocabSize);
}

/** Index of the largest value (greedy decoding on the host, for onnxruntime's logits). */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}
