/**
 * Bounds on the numbers in config.json, checked as each field is read, before anything is sized
 * or computed from them. Each bound lies well outside every released model (Llama-3.1-405B: 126
 * layers, d_model 16384, 128 heads, d_mlp 53248; Gemma-3: a 262,144-token vocabulary; Llama-4: a
 * 10M context), so a real config never meets one; a config past one is corrupt or hostile, and a
 * million-layer config must not make the memory estimate (or anything else) do a million of
 * anything. Whether a model within these bounds fits the device is memory.ts's question.
 */

/** The largest token id + 1 anything reads (config.json's vocab_size, tokenizer.json's ids). */
export const MAX_VOCAB = 2 ** 22;

/** Whether `v` is a token id within MAX_VOCAB (an integer in [0, MAX_VOCAB)). */
export const isTokenId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MAX_VOCAB;

/** The most end-of-generation ids a config may list (Llama 3 lists 3, Phi-3 3). */
export const MAX_STOP_IDS = 256;

/** Layers, d_model and d_mlp: what vector files are checked against too. */
export const MAX_LAYERS = 1024;
export const MAX_WIDTH = 65_536;
export const MAX_MLP = 4 * MAX_WIDTH;

const LAYERS = MAX_LAYERS;
const WIDTH = MAX_WIDTH;
const HEADS = 1024;
const POSITIONS = 2 ** 24;

/** Integer fields by their Hugging Face names; any other integer field gets DEFAULT_INT_MAX. */
const INT_MAX: Readonly<Record<string, number>> = {
  n_layer: LAYERS,
  num_hidden_layers: LAYERS,
  n_embd: WIDTH,
  hidden_size: WIDTH,
  n_head: HEADS,
  num_attention_heads: HEADS,
  num_key_value_heads: HEADS,
  head_dim: 4096,
  n_inner: MAX_MLP,
  intermediate_size: MAX_MLP,
  vocab_size: MAX_VOCAB,
  n_positions: POSITIONS,
  n_ctx: POSITIONS,
  max_position_embeddings: POSITIONS,
  sliding_window: POSITIONS,
  // Qwen2: the layers before the window starts (0 is read apart: every layer local).
  max_window_layers: LAYERS,
};

const DEFAULT_INT_MAX = POSITIONS;

/** The largest value an integer field of config.json may hold. */
export function intMax(key: string): number {
  return Object.hasOwn(INT_MAX, key) ? INT_MAX[key]! : DEFAULT_INT_MAX;
}

/**
 * Positive real fields, as [smallest, largest]. Epsilons are below 1 in every model; rotary bases
 * run from 10^4 to ~1e8. The lower bounds keep float32 arithmetic finite: a rotary base or scaling
 * factor near zero makes a frequency (θ^(−2i/d), f / factor) overflow to infinity and every angle
 * NaN; a soft-cap that rounds to zero in float32 divides the scores by zero; a query_pre_attn_scalar
 * near zero makes the score scale (its −½ power) infinite. Gemma 2's caps are 50 and 30, its scalar
 * 144 or 256; llama3 scaling uses factor 8-32 and frequency factors 1 and 4.
 */
const NUM_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  layer_norm_epsilon: [0, 1],
  layer_norm_eps: [0, 1],
  rms_norm_eps: [0, 1],
  rope_theta: [1, 1e12],
  rotary_emb_base: [1, 1e12],
  // The share of each head that rotates (GPT-NeoX, Phi-3); a share that rounds to no dims rotates none.
  rotary_pct: [0, 1],
  partial_rotary_factor: [0, 1],
  // rope_scaling's fields (read with their object's name).
  'rope_scaling.factor': [1e-3, 1e6],
  'rope_scaling.low_freq_factor': [1e-3, 1e6],
  'rope_scaling.high_freq_factor': [1e-3, 1e6],
  'rope_scaling.original_max_position_embeddings': [1, POSITIONS],
  // Gemma 2.
  attn_logit_softcapping: [1e-3, 1e6],
  final_logit_softcapping: [1e-3, 1e6],
  query_pre_attn_scalar: [1e-3, 1e12],
};

const DEFAULT_NUM_RANGE = [0, 1e12] as const;

/**
 * The range a positive real field of config.json must lie in: above the first bound (which may be
 * 0, where any positive value computes) and at most the second.
 */
export function numRange(key: string): readonly [number, number] {
  return Object.hasOwn(NUM_RANGE, key) ? NUM_RANGE[key]! : DEFAULT_NUM_RANGE;
}
