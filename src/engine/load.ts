/**
 * Loading a model from any source: config.json (and generation_config.json) → spec → memory
 * check (and the estimate, for the page) → tokenizer → weights → device. Each step fails with a
 * message that names the file and what to do; nothing is uploaded until every weight has been
 * read and checked.
 */
import { RudderError } from './errors';
import { specFromConfig, toCanonical } from './families';
import { eosFromGenerationConfig, GENERATION_CONFIG_FILE } from './generation-config';
import { nativeKernelsReady } from './kernels/native';
import {
  type BackendLimits,
  checkFits,
  estimateFromConfig,
  estimateMemory,
  type MemoryEstimate,
  type ModelEstimate,
} from './memory';
import { Model } from './model';
import type { ModelSpec } from './spec';
import { loadTokenizer, type RudderTokenizer } from './tokenizer';
import { type Checkpoint, INDEX_FILE, type ModelSource, type OnProgress, readCheckpoint } from './weights';
import type { WeightPrecision } from './weights-device';

/** The context a memory estimate plans for unless told otherwise (prompt + generation, in tokens). */
const DEFAULT_CONTEXT_TOKENS = 1024;

export interface LoadOptions {
  readonly onProgress?: OnProgress;
  readonly signal?: AbortSignal;
  /** Refuse (TooLargeError, with the figures) a model that will not fit these limits. */
  readonly limits?: BackendLimits;
  /**
   * Told what the model will hold once loaded, after config.json is read and before any weight
   * is downloaded (the page shows it beside the download progress), with the spec it is for.
   */
  readonly onEstimate?: (estimate: MemoryEstimate, spec: ModelSpec) => void;
  /** Context the memory check plans for (prompt + generation). Default: DEFAULT_CONTEXT_TOKENS or the model's context. */
  readonly contextTokens?: number;
  /** Round the matrices to bfloat16 as they load (DeviceWeights.upload). */
  readonly precision?: WeightPrecision;
}

/**
 * What a model will cost before anything large is read: config.json and, where the checkpoint is
 * sharded, its index (whose total_size is the exact download). For the page to ask before loading
 * a model a link names.
 */
export async function readEstimate(
  source: ModelSource,
  opts: { readonly signal?: AbortSignal; readonly precision?: WeightPrecision } = {},
): Promise<ModelEstimate> {
  const { signal } = opts;
  const config = await readJson(source, 'config.json', signal);
  const index = (await source.has(INDEX_FILE, signal))
    ? await readJson(source, INDEX_FILE, signal)
    : undefined;
  return estimateFromConfig(config, {
    contextTokens: DEFAULT_CONTEXT_TOKENS,
    halfMatrices: holdsHalfMatrices(opts.precision),
    ...(index ? { index } : {}),
  });
}

/** Only the native kernels hold 16-bit panels; elsewhere rounded values stay float32. */
function holdsHalfMatrices(precision: WeightPrecision | undefined): boolean {
  return precision === 'bfloat16' && nativeKernelsReady();
}

/** Reads config.json into a spec without touching the weights (for `inspect` and the model picker). */
export async function readSpec(source: ModelSource, signal?: AbortSignal): Promise<ModelSpec> {
  return specFromConfig(await readJson(source, 'config.json', signal));
}

export async function loadModel(source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const spec = withGenerationConfig(
    await readSpec(source, opts.signal),
    await readGenerationConfig(source, opts.signal),
  );
  const estimate = estimateMemory(spec, {
    contextTokens: Math.min(opts.contextTokens ?? DEFAULT_CONTEXT_TOKENS, spec.nCtx),
    halfMatrices: holdsHalfMatrices(opts.precision),
  });
  if (opts.limits) checkFits(estimate, opts.limits, source.id);
  opts.onEstimate?.(estimate, spec);
  const tokenizer = await readTokenizer(source, opts.signal);
  // The weights' own sizes (the index's total_size, each download's Content-Length) are held
  // against the limit too: config.json may understate the model.
  let checkpoint: Checkpoint | undefined = await readCheckpoint(
    source,
    opts.onProgress,
    opts.signal,
    opts.limits?.maxTotalBytes,
  );
  const host = toCanonical(spec, checkpoint);
  // The file's bytes can go once converted (F32 tensors are views and keep theirs), and each
  // converted tensor once on the device: memory peaks near one copy of the model, not three.
  checkpoint = undefined;
  return Model.fromHost(source.id, spec, host, tokenizer, {
    consume: true,
    ...(opts.precision ? { precision: opts.precision } : {}),
  });
}

/** generation_config.json's end tokens, when the folder has the file and it lists some. */
export async function readGenerationConfig(
  source: ModelSource,
  signal?: AbortSignal,
): Promise<number[] | undefined> {
  if (!(await source.has(GENERATION_CONFIG_FILE, signal))) return undefined;
  return eosFromGenerationConfig(await readJson(source, GENERATION_CONFIG_FILE, signal));
}

/** The spec with generation_config's end tokens in place of config.json's, as transformers' generate() uses them. */
function withGenerationConfig(spec: ModelSpec, eos: number[] | undefined): ModelSpec {
  return eos ? { ...spec, eosTokenIds: eos } : spec;
}

/** The tokenizer, when the folder has `tokenizer.json` (a model without one runs on token ids). */
export async function readTokenizer(
  source: ModelSource,
  signal?: AbortSignal,
): Promise<RudderTokenizer | undefined> {
  if (!(await source.has('tokenizer.json', signal))) return undefined;
  const json = await readJson(source, 'tokenizer.json', signal);
  const config = (await source.has('tokenizer_config.json', signal))
    ? await readJson(source, 'tokenizer_config.json', signal)
    : {};
  return loadTokenizer(json, config);
}

/** Larger than any real model's JSON file (Gemma's tokenizer.json is about 33 MB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

async function readJson(source: ModelSource, file: string, signal?: AbortSignal): Promise<unknown> {
  const text = await source.readText(file, signal, MAX_JSON_BYTES);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RudderError('bad-json', `${file} in ${source.id} is not valid JSON (${(e as Error).message}).`);
  }
}
