/**
 * Upper bounds on the numbers in config.json, checked as each field is read, before anything is
 * sized from them. Each bound sits well above every released model (Llama-3.1-405B: 126 layers,
 * d_model 16384, 128 heads, d_mlp 53248; Gemma-3: a 262,144-token vocabulary; Llama-4: a 10M
 * context), so a real config never meets one; a config past one is corrupt or hostile, and a
 * million-layer config must not make the memory estimate (or anything else) do a million of
 * anything. Whether a model within these bounds fits the device is memory.ts's question.
 */

/** The largest token id + 1 anything reads (config.json's vocab_size, tokenizer.json's ids). */
export const MAX_VOCAB = 2 ** 22;
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
};

const DEFAULT_INT_MAX = POSITIONS;

/** The largest value an integer field of config.json may hold. */
export function intMax(key: string): number {
  return Object.hasOwn(INT_MAX, key) ? INT_MAX[key]! : DEFAULT_INT_MAX;
}

/**
 * Positive real fields: epsilons are below 1 in every model; rotary bases run to ~1e8 for
 * long-context models. A base of 1e300 would make every rotary frequency underflow to zero.
 */
const NUM_MAX: Readonly<Record<string, number>> = {
  layer_norm_epsilon: 1,
  rms_norm_eps: 1,
  rope_theta: 1e12,
};

const DEFAULT_NUM_MAX = 1e12;

/** The largest value a positive real field of config.json may hold. */
export function numMax(key: string): number {
  return Object.hasOwn(NUM_MAX, key) ? NUM_MAX[key]! : DEFAULT_NUM_MAX;
}
