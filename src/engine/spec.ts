/**
 * The blueprint of a model: everything the forward pass needs to know, nothing about weights.
 * Built from a Hugging Face `config.json` by a family module (`families/*.ts`).
 */
export type ModelType = 'gpt2' | 'llama' | 'qwen2' | 'mistral' | 'gemma' | 'gemma2' | 'gpt_neox' | 'phi3';
export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = [
  'gpt2',
  'llama',
  'qwen2',
  'mistral',
  'gemma',
  'gemma2',
  'gpt_neox',
  'phi3',
];

/**
 * Rotary layouts. `half`: pairs are (i, i + dim/2), rotate_half (Hugging Face Llama, GPT-NeoX).
 * `interleaved`: pairs are (2i, 2i + 1) (Meta's original Llama, GPT-J, llama2.c).
 */
export type RotaryLayout = 'half' | 'interleaved';

/**
 * Rescaled rotary frequencies for contexts longer than the model was first trained on.
 * `linear`: every frequency divided by `factor`. `llama3` (Llama 3.1/3.2): wavelengths longer than
 * originalContext / lowFreqFactor are divided by `factor`, those shorter than
 * originalContext / highFreqFactor are kept, and the band between is interpolated.
 */
export type RopeScaling =
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalContext: number;
    };

export interface RotarySpec {
  readonly theta: number;
  /** Number of leading dimensions of each head that rotate (= dHead unless partial rotary). */
  readonly dim: number;
  readonly layout: RotaryLayout;
  readonly scaling?: RopeScaling;
}

/** Local attention: a query sees only the `size` most recent keys (itself included) on `layers`. */
export interface SlidingWindow {
  readonly size: number;
  readonly layers: readonly number[];
}

export interface ModelSpec {
  readonly modelType: ModelType;
  readonly nLayers: number;
  readonly dModel: number;
  readonly nHeads: number;
  /** Key/value heads; < nHeads means grouped-query attention. */
  readonly nKvHeads: number;
  /** Independent of dModel / nHeads in some families (Gemma's head_dim). */
  readonly dHead: number;
  readonly dMlp: number;
  readonly vocabSize: number;
  /** Longest context the model was trained for (positions beyond it are refused). */
  readonly nCtx: number;
  readonly norm: 'layer' | 'rms';
  readonly normEps: number;
  readonly pos: 'learned' | 'rotary';
  readonly rotary?: RotarySpec;
  /** `gelu`: act(x W_in) (GPT-2, GPT-NeoX). `swiglu`: gated, act(x W_gate) · (x W_in); GeGLU when act is a GELU (Gemma). */
  readonly mlp: 'gelu' | 'swiglu';
  /** GELU variant (`gelu_new` is the tanh approximation) or the gate activation. */
  readonly act: 'gelu_new' | 'gelu' | 'silu';
  /** Biases on the q/k/v projections (GPT-2, GPT-NeoX, Qwen2, Llama's attention_bias). */
  readonly qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2, GPT-NeoX, Llama's attention_bias). */
  readonly outBias: boolean;
  /** Biases on the MLP projections (GPT-2, GPT-NeoX, Llama's mlp_bias). */
  readonly mlpBias: boolean;
  readonly tiedEmbeddings: boolean;
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
  /** Token embeddings are multiplied by this (Gemma: √d_model). */
  readonly embedScale?: number;
  /** Attention scores are q·k times this; default 1/√dHead (Gemma 2: query_pre_attn_scalar^-½). */
  readonly attnScale?: number;
  /** Gemma 2's soft-capping: scores → cap·tanh(scores / cap) before the mask. */
  readonly attnSoftcap?: number;
  /** Gemma 2's soft-capping of the final logits. */
  readonly finalSoftcap?: number;
  readonly slidingWindow?: SlidingWindow;
  /** GPT-NeoX: resid + attn(ln1(resid)) + mlp(ln2(resid)), no resid_mid. */
  readonly parallelResidual?: boolean;
  /** Gemma 2: norms on the attention output (ln1_post) and the MLP output (ln2_post) too. */
  readonly postNorms?: boolean;
}

/** The window of `layer`, or undefined where it attends to the whole context. */
export function windowAt(spec: ModelSpec, layer: number): number | undefined {
  const w = spec.slidingWindow;
  return w?.layers.includes(layer) ? w.size : undefined;
}

/**
 * Canonical weight names (TransformerLens-style) and the layouts the kernels want:
 * every matrix is [in, out] so that `x @ W` needs no transpose at run time.
 *
 *   embed.W_E               [vocab, dModel]
 *   pos_embed.W_pos         [nCtx, dModel]                (learned positions only)
 *   blocks.{l}.ln1.w / .b   [dModel]                      (.b for LayerNorm only)
 *   blocks.{l}.attn.W_Q     [dModel, nHeads*dHead]        .b_Q [nHeads*dHead]   (b_* when qkvBias)
 *   blocks.{l}.attn.W_K     [dModel, nKvHeads*dHead]      .b_K
 *   blocks.{l}.attn.W_V     [dModel, nKvHeads*dHead]      .b_V
 *   blocks.{l}.attn.W_O     [nHeads*dHead, dModel]        .b_O [dModel]         (when outBias)
 *   blocks.{l}.ln1_post.w   [dModel]                      (postNorms only, as ln2_post)
 *   blocks.{l}.ln2.w / .b   [dModel]
 *   blocks.{l}.mlp.W_in     [dModel, dMlp]                .b_in (when mlpBias)
 *   blocks.{l}.mlp.W_gate   [dModel, dMlp]                .b_gate (gated MLPs only)
 *   blocks.{l}.mlp.W_out    [dMlp, dModel]                .b_out (when mlpBias)
 *   ln_final.w / .b         [dModel]
 *   unembed.W_U             [vocab, dModel]               (absent when tiedEmbeddings: W_E is used)
 *
 * Norm weights are the factor applied: Gemma's (1 + w) is stored as 1 + w (as TransformerLens
 * converts it), so one norm serves every family.
 *
 * W_E and W_U keep Hugging Face's [vocab, dModel] layout here. On upload the engine transposes the
 * unembedding once to [dModel, vocab] (tfjs-wasm multiplies by a transposed operand ~10x slower),
 * and for tied models gathers embeddings from that same device copy, so the largest matrix is
 * held once.
 */
export type CanonicalWeightName = string;

/** A host-side float32 tensor: what weight readers produce and families convert. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Expected canonical names and shapes for a spec: the loader checks a checkpoint against it. */
export function expectedWeights(spec: ModelSpec): Map<CanonicalWeightName, readonly number[]> {
  const { dModel: d, nHeads, nKvHeads, dHead, dMlp, vocabSize, nCtx } = spec;
  const w = new Map<string, readonly number[]>();
  w.set('embed.W_E', [vocabSize, d]);
  if (spec.pos === 'learned') w.set('pos_embed.W_pos', [nCtx, d]);
  const norm = (prefix: string) => {
    w.set(`${prefix}.w`, [d]);
    if (spec.norm === 'layer') w.set(`${prefix}.b`, [d]);
  };
  for (let l = 0; l < spec.nLayers; l++) {
    const b = `blocks.${l}`;
    norm(`${b}.ln1`);
    w.set(`${b}.attn.W_Q`, [d, nHeads * dHead]);
    w.set(`${b}.attn.W_K`, [d, nKvHeads * dHead]);
    w.set(`${b}.attn.W_V`, [d, nKvHeads * dHead]);
    if (spec.qkvBias) {
      w.set(`${b}.attn.b_Q`, [nHeads * dHead]);
      w.set(`${b}.attn.b_K`, [nKvHeads * dHead]);
      w.set(`${b}.attn.b_V`, [nKvHeads * dHead]);
    }
    w.set(`${b}.attn.W_O`, [nHeads * dHead, d]);
    if (spec.outBias) w.set(`${b}.attn.b_O`, [d]);
    if (spec.postNorms) norm(`${b}.ln1_post`);
    norm(`${b}.ln2`);
    w.set(`${b}.mlp.W_in`, [d, dMlp]);
    if (spec.mlp === 'swiglu') w.set(`${b}.mlp.W_gate`, [d, dMlp]);
    w.set(`${b}.mlp.W_out`, [dMlp, d]);
    if (spec.mlpBias) {
      w.set(`${b}.mlp.b_in`, [dMlp]);
      if (spec.mlp === 'swiglu') w.set(`${b}.mlp.b_gate`, [dMlp]);
      w.set(`${b}.mlp.b_out`, [d]);
    }
    if (spec.postNorms) norm(`${b}.ln2_post`);
  }
  norm('ln_final');
  if (!spec.tiedEmbeddings) w.set('unembed.W_U', [vocabSize, d]);
  return w;
}

/**
 * Total weight floats (tied embeddings counted once) and the largest weight, from one block's
 * shapes times the depth: listing every layer first would cost time and memory in proportion to
 * the depth a config claims, before a size check could refuse it.
 */
export function weightTotals(spec: ModelSpec): { floats: number; largest: { name: string; floats: number } } {
  let floats = 0;
  let largest = { name: '', floats: 0 };
  for (const [name, shape] of expectedWeights({ ...spec, nLayers: 1 })) {
    const n = shape.reduce((a, b) => a * b, 1);
    floats += name.startsWith('blocks.0.') ? n * spec.nLayers : n;
    if (n > largest.floats) largest = { name, floats: n };
  }
  return { floats, largest };
}

/** Parameter count of a spec (tied embeddings counted once). */
export function parameterCount(spec: ModelSpec): number {
  return weightTotals(spec).floats;
}
