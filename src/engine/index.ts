/**
 * The engine's public face (browser-safe). Node-only pieces (the filesystem source) are in
 * `./node`.
 */

export { type BackendChoice, type BackendName, type BackendOptions, selectBackend } from './backend';
export { leftPadBatch, type PaddedBatch } from './batch';
export { formatBytes } from './bytes';
export * from './errors';
export { describeSpec, specFromConfig } from './families';
export { MAX_LAYERS, MAX_MLP, MAX_VOCAB, MAX_WIDTH } from './families/bounds';
export { hfConfig, toHfCheckpoint } from './families/to-hf';
export { disposeResult, type RunOptions, type RunResult } from './forward';
export {
  type GenerateBatchOptions,
  type GenerateOptions,
  type GenerateResult,
  generate,
  generateBatch,
  type StopReason,
  yieldToEventLoop,
} from './generate';
export { ensureGradients } from './gradients';
export {
  allHookNames,
  BLOCK_POINTS,
  type BlockPointShortName,
  HOOK_DIMS,
  type HookContext,
  type HookFn,
  type HookName,
  type Hooks,
  hookName,
} from './hooks';
export { FUSED_MULTIPLY_ADD, nativeKernelThreads } from './kernels/native';
export { gatherColumns, lensStats, matMul, withComposedOps } from './kernels/ops';
export { KvCache } from './kv-cache';
export {
  type LoadOptions,
  loadModel,
  readEstimate,
  readGenerationConfig,
  readSpec,
  readTokenizer,
} from './load';
export {
  type BackendLimits,
  checkFits,
  estimateFromConfig,
  estimateMemory,
  type MemoryEstimate,
  type ModelEstimate,
} from './memory';
export { Model } from './model';
export { type SamplingOptions, seededRandom } from './sampling';
export {
  type HostTensor,
  type ModelSpec,
  type ModelType,
  parameterCount,
  SUPPORTED_MODEL_TYPES,
} from './spec';
export type { ChatMessage, RudderTokenizer, StreamDecoder } from './tokenizer';
export {
  filesSource,
  hubSource,
  type ModelSource,
  type OnProgress,
  type Progress,
  parseSafetensors,
  type SafetensorsFile,
  urlSource,
  writeSafetensors,
} from './weights';
export type { WeightPrecision } from './weights-device';
