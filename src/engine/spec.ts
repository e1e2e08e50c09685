/**
 * The blueprint of a model: everything the forward pass needs to know, nothing about weights.
 * Built from a Hugging Face `config.json` by a family module (`families/*.ts`).
 */
export type ModelType = 'gpt2' | 'llama' | 'qwen2' | 'mistral';
export const SUPPORTED_MODEL_TYPES: readonly ModelType[] = ['gpt2', 'llama', 'qwen2', 'mistral'];

/**
 * Rotary layouts. `half`: pairs are (i, i + dim/2), rotate_half (Hugging Face Llama, GPT-NeoX).
 * `interleaved`: pairs are (2i, 2i + 1) (Meta's original Llama, GPT-J, llama2.c).
 */
export type RotaryLayout = 'half' | 'interleaved';

export interface RotarySpec {
  readonly theta: number;
  /** Number of leading dimensions of each head that rotate (= dHead unless partial rotary). */
  readonly dim: number;
  readonly layout: RotaryLayout;
}

export interface ModelSpec {
  readonly modelType: ModelType;
  readonly nLayers: number;
  readonly dModel: number;
  readonly nHeads: number;
  /** Key/value heads; < nHeads means grouped-query attention. */
  readonly nKvHeads: number;
  readonly dHead: number;
  readonly dMlp: number;
  readonly vocabSize: number;
  /** Longest context the model was trained for (positions beyond it are refused). */
  readonly nCtx: number;
  readonly norm: 'layer' | 'rms';
  readonly normEps: number;
  readonly pos: 'learned' | 'rotary';
  readonly rotary?: RotarySpec;
  readonly mlp: 'gelu' | 'swiglu';
  /** GELU variant (GPT-2 uses the tanh approximation, `gelu_new`) or SwiGLU's gate activation. */
  readonly act: 'gelu_new' | 'gelu' | 'silu';
  /** Biases on the q/k/v projections (GPT-2, Qwen2). */
  readonly qkvBias: boolean;
  /** Biases on the attention output and MLP projections (GPT-2). */
  readonly outBias: boolean;
  readonly tiedEmbeddings: boolean;
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
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
 *   blocks.{l}.ln2.w / .b   [dModel]
 *   blocks.{l}.mlp.W_in     [dModel, dMlp]                .b_in (when outBias)
 *   blocks.{l}.mlp.W_gate   [dModel, dMlp]                (SwiGLU only)
 *   blocks.{l}.mlp.W_out    [dMlp, dModel]                .b_out (when outBias)
 *   ln_final.w / .b         [dModel]
 *   unembed.W_U             [vocab, dModel]               (absent when tiedEmbeddings: W_E is used)
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
    norm(`${b}.ln2`);
    w.set(`${b}.mlp.W_in`, [d, dMlp]);
    if (spec.mlp === 'swiglu') w.set(`${b}.mlp.W_gate`, [d, dMlp]);
    w.set(`${b}.mlp.W_out`, [dMlp, d]);
    if (spec.outBias) {
      w.set(`${b}.mlp.b_in`, [dMlp]);
      w.set(`${b}.mlp.b_out`, [d]);
    }
  }
  norm('ln_final');
  if (!spec.tiedEmbeddings) w.set('unembed.W_U', [vocabSize, d]);
  return w;
}

/** Parameter count of a spec (tied embeddings counted once). */
export function parameterCount(spec: ModelSpec): number {
  let n = 0;
  for (const shape of expectedWeights(spec).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
