/**
 * How much memory a model needs on a backend, estimated from its spec before any weight is
 * downloaded, so that a model that cannot fit is refused with the figures instead of crashing
 * the tab halfway through a load.
 */
import { formatBytes } from './bytes';
import { TooLargeError } from './errors';
import { specFromConfig } from './families';
import { expectedWeights, type ModelSpec, parameterCount, weightTotals } from './spec';

/** How much a backend can hold. The backend module supplies the values. */
export interface BackendLimits {
  readonly backend: string;
  /** Everything the model needs at once (weights, KV cache, activations). */
  readonly maxTotalBytes: number;
  /** The largest single tensor (a WebGPU buffer binding, a WebGL texture, the wasm heap). */
  readonly maxTensorBytes: number;
}

export interface MemoryOptions {
  /** Tokens of context the forward pass and KV cache must hold (prompt plus generation). */
  readonly contextTokens: number;
  /** Sequences run at once (contrast pairs are batched). Default 1. */
  readonly batch?: number;
  /**
   * Unembed every position (the logit lens, `run` with full logits) rather than only the last
   * one (generation). At a 150k vocabulary this is the largest activation by far. Default false.
   */
  readonly fullLogits?: boolean;
  /**
   * The matrices are held in 16-bit panels (WebAssembly, weights rounded to bfloat16 as they load:
   * weights-device.ts). Each still passes through a float32 tensor on its way, so loading peaks
   * at the largest one's float32 size on top. Default false.
   */
  readonly halfMatrices?: boolean;
}

export interface MemoryEstimate {
  readonly contextTokens: number;
  readonly batch: number;
  /**
   * All weights as float32 (a tied unembedding is counted once: it is one tensor). tfjs 4.22 has
   * no 16-bit tensor type (its DataType is float32 | int32 | bool | complex64 | string), so a
   * bf16 or f16 checkpoint takes twice its file size once loaded, on every backend, unless its
   * matrices are rounded to bfloat16 on WebAssembly (`halfMatrices`: 2 bytes each).
   */
  readonly weightBytes: number;
  readonly halfMatrices: boolean;
  /** Keys and values of every layer for `contextTokens` positions. */
  readonly kvCacheBytes: number;
  /** Peak transient memory of one forward pass over the whole context. */
  readonly activationBytes: number;
  readonly totalBytes: number;
  readonly largestTensorBytes: number;
  /** What the largest tensor is: a canonical weight name, `attention scores` or `logits`. */
  readonly largestTensorName: string;
}

const F32 = 4;

export function estimateMemory(spec: ModelSpec, opts: MemoryOptions): MemoryEstimate {
  const T = opts.contextTokens;
  const b = opts.batch ?? 1;
  if (!Number.isInteger(T) || T < 1)
    throw new RangeError(`contextTokens must be a positive integer, got ${T}`);
  if (!Number.isInteger(b) || b < 1) throw new RangeError(`batch must be a positive integer, got ${b}`);
  const { nLayers, dModel: d, nHeads, nKvHeads, dHead, dMlp, vocabSize } = spec;

  const weights = weightTotals(spec);
  const weightFloats = weights.floats;
  let largest = weights.largest;

  // One key and one value vector per layer, KV head and position.
  const kvFloats = 2 * nLayers * b * T * nKvHeads * dHead;

  // Peak inside one block; blocks run one after another and free their intermediates.
  const resid = b * T * d; // [batch, pos, d_model]
  const scores = b * nHeads * T * T; // [batch, head, query, key]
  const attention =
    b * T * (nHeads + 2 * nKvHeads) * dHead + // q, k, v
    2 * b * T * nHeads * dHead + // k, v repeated to every query head (grouped-query attention)
    2 * scores + // scores and pattern
    b * T * nHeads * dHead; // z
  const mlp = (spec.mlp === 'swiglu' ? 3 : 2) * b * T * dMlp; // pre (and gate), post
  const logitRows = opts.fullLogits ? b * T : b;
  const logits = logitRows * vocabSize;
  // Residual stream, its normalised copy, the sublayer output and the sum.
  const activationFloats = 4 * resid + Math.max(attention, mlp) + logits;

  for (const [name, floats] of [
    ['attention scores', scores],
    ['logits', logits],
  ] as const) {
    if (floats > largest.floats) largest = { name, floats };
  }

  const half = opts.halfMatrices ?? false;
  const matrices = half ? matrixTotals(spec) : { floats: 0, largest: 0 };
  const weightBytes = F32 * weightFloats - 2 * matrices.floats;
  const kvCacheBytes = F32 * kvFloats;
  const activationBytes = F32 * activationFloats;
  // Nothing runs while loading: its peak (the largest matrix on its way to 16 bits) and a pass's
  // cache and activations are never held at once.
  const loadingBytes = F32 * matrices.largest;
  return {
    contextTokens: T,
    batch: b,
    weightBytes,
    halfMatrices: half,
    kvCacheBytes,
    activationBytes,
    totalBytes: weightBytes + Math.max(kvCacheBytes + activationBytes, loadingBytes),
    largestTensorBytes: F32 * largest.floats,
    largestTensorName: largest.name,
  };
}

/**
 * The matrices the forward pass multiplies by (those DeviceWeights rounds and packs: its MATRIX,
 * named here before the projections are fused): their total and the largest one, in floats. A
 * tied embedding is the unembedding.
 */
function matrixTotals(spec: ModelSpec): { floats: number; largest: number } {
  const unembedding = spec.tiedEmbeddings ? 'embed.W_E' : 'unembed.W_U';
  let floats = 0;
  let largest = 0;
  for (const [name, shape] of expectedWeights({ ...spec, nLayers: 1 })) {
    if (name !== unembedding && !/^blocks\.0\.(attn\.W_[QKVO]|mlp\.W_(in|out|gate))$/.test(name)) continue;
    const n = shape.reduce((a, b) => a * b, 1);
    floats += name.startsWith('blocks.0.') ? n * spec.nLayers : n;
    largest = Math.max(largest, n);
  }
  return { floats, largest };
}

const BACKEND_LABELS: Record<string, string> = {
  wasm: 'WebAssembly',
  webgl: 'WebGL',
  webgpu: 'WebGPU',
  cpu: 'CPU',
};

/** What the page can show before downloading a model: from config.json and, when there, the index. */
export interface ModelEstimate {
  readonly spec: ModelSpec;
  readonly parameters: number;
  /** Bytes to download: the index's metadata.total_size, else parameters × the config's torch_dtype size. */
  readonly downloadBytes: number;
  /** What the engine will hold while running (weights as float32, KV cache, activations). */
  readonly memory: MemoryEstimate;
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/**
 * The estimate from config.json (already JSON-decoded) and, optionally, model.safetensors.index.json
 * (its metadata.total_size is the checkpoint's exact size). Throws UnsupportedModelError, naming
 * what is unsupported, for a config the engine cannot run.
 */
export function estimateFromConfig(
  config: unknown,
  opts: MemoryOptions & { readonly index?: unknown },
): ModelEstimate {
  const spec = specFromConfig(config);
  const parameters = parameterCount(spec);
  const totalSize = (opts.index as { metadata?: { total_size?: unknown } } | undefined)?.metadata?.total_size;
  const dtype = (config as { torch_dtype?: unknown }).torch_dtype;
  const perParameter = (typeof dtype === 'string' && DTYPE_BYTES[dtype]) || F32;
  const downloadBytes =
    typeof totalSize === 'number' && Number.isFinite(totalSize) && totalSize > 0
      ? totalSize
      : parameters * perParameter;
  const contextTokens = Math.min(opts.contextTokens, spec.nCtx);
  return { spec, parameters, downloadBytes, memory: estimateMemory(spec, { ...opts, contextTokens }) };
}

/**
 * Throws TooLargeError when the estimate exceeds the backend's limits, with both figures in human
 * units and what to try instead.
 */
export function checkFits(estimate: MemoryEstimate, limits: BackendLimits, modelName = 'This model'): void {
  const backend = `the ${BACKEND_LABELS[limits.backend] ?? limits.backend} backend`;
  const onCpu = limits.backend === 'wasm' || limits.backend === 'cpu';
  const advice = !onCpu
    ? 'try a smaller model.'
    : estimate.halfMatrices
      ? 'try a smaller model or a browser with WebGPU.'
      : 'try 16-bit weights (half the memory), a smaller model or a browser with WebGPU.';
  if (estimate.totalBytes > limits.maxTotalBytes) {
    const [need, have] = formatPair(estimate.totalBytes, limits.maxTotalBytes);
    throw new TooLargeError(
      estimate.totalBytes,
      limits.maxTotalBytes,
      `${modelName} needs about ${need} (${formatBytes(estimate.weightBytes)} of ${weightsKind(estimate)}, at ${estimate.contextTokens} tokens of context) but ${backend} can address at most ${have}; ${advice}`,
    );
  }
  if (estimate.largestTensorBytes > limits.maxTensorBytes) {
    const [need, have] = formatPair(estimate.largestTensorBytes, limits.maxTensorBytes);
    const isActivation = !estimate.largestTensorName.includes('.');
    throw new TooLargeError(
      estimate.largestTensorBytes,
      limits.maxTensorBytes,
      `${modelName}'s largest tensor (${estimate.largestTensorName}, ${need}) is larger than ${backend} allows for one tensor (${have}); ` +
        (isActivation ? 'try a shorter context or a smaller model.' : advice),
    );
  }
}

/** Two sizes formatted with just enough decimals that different values never read the same. */
function formatPair(a: number, b: number): [string, string] {
  for (let decimals = 1; decimals < 3; decimals++) {
    const pair: [string, string] = [formatBytes(a, decimals), formatBytes(b, decimals)];
    if (pair[0] !== pair[1]) return pair;
  }
  return [formatBytes(a, 3), formatBytes(b, 3)];
}

/** How the estimate holds the weights, for its messages. */
function weightsKind(estimate: Pick<MemoryEstimate, 'halfMatrices'>): string {
  return estimate.halfMatrices ? 'weights (matrices in 16 bits)' : 'float32 weights';
}
