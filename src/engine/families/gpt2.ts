/**
 * GPT-2 (and distilgpt2): LayerNorm, learned positions, GELU (tanh approximation), biases
 * everywhere, unembedding tied to the token embedding.
 */
import type { ModelSpec } from '../spec';
import { asObject, exactDiv, int, optBool, optChoice, optInt, optPosNum, refuse, specialIds } from './config';
import { type ConversionPlan, ruleBuilder, splitColumns, splitVector } from './convert';

/** Hugging Face names of GPT-2's activations that compute the same function as ours. */
const ACTIVATIONS: Record<string, ModelSpec['act']> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu: 'gelu',
};

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  const dModel = int(c, 'n_embd');
  const nHeads = int(c, 'n_head');
  const act = optChoice(c, 'activation_function', ACTIVATIONS, 'gelu_new');
  // Options of GPT2Config that change the function computed; refuse them rather than run
  // something that silently differs from the checkpoint's own implementation.
  if (!optBool(c, 'scale_attn_weights', true)) {
    refuse('scale_attn_weights', false, 'the engine always scales attention scores by 1/sqrt(d_head).');
  }
  if (optBool(c, 'scale_attn_by_inverse_layer_idx', false)) {
    refuse('scale_attn_by_inverse_layer_idx', true, 'per-layer attention scaling is not implemented.');
  }
  if (optBool(c, 'add_cross_attention', false)) {
    refuse('add_cross_attention', true, 'cross-attention (encoder-decoder use) is not implemented.');
  }
  return {
    modelType: 'gpt2',
    nLayers: int(c, 'n_layer'),
    dModel,
    nHeads,
    nKvHeads: nHeads,
    dHead: exactDiv(dModel, 'n_embd', nHeads, 'n_head'),
    // n_inner: null means 4 * n_embd in GPT2Config.
    dMlp: optInt(c, 'n_inner', 4 * dModel),
    vocabSize: int(c, 'vocab_size'),
    // Older configs also carry n_ctx; n_positions is the size of the position table.
    nCtx: optInt(c, 'n_positions', optInt(c, 'n_ctx', 1024)),
    norm: 'layer',
    normEps: optPosNum(c, 'layer_norm_epsilon', 1e-5),
    pos: 'learned',
    mlp: 'gelu',
    act,
    qkvBias: true,
    outBias: true,
    mlpBias: true,
    tiedEmbeddings: optBool(c, 'tie_word_embeddings', true),
    ...specialIds(c),
  };
}

/** Causal-mask buffers that older saves store in every block; they are not weights. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/** Every Hugging Face tensor this family's checkpoint holds, and what it becomes. */
export function plan(spec: ModelSpec): ConversionPlan {
  const { dModel: d, dMlp, vocabSize, nCtx } = spec;
  // Layouts already match the canonical ones: tensors pass through without a copy.
  const { rules, same } = ruleBuilder();

  same('wte.weight', 'embed.W_E', [vocabSize, d]);
  same('wpe.weight', 'pos_embed.W_pos', [nCtx, d]);
  for (let l = 0; l < spec.nLayers; l++) {
    const h = `h.${l}`;
    const b = `blocks.${l}`;
    same(`${h}.ln_1.weight`, `${b}.ln1.w`, [d]);
    same(`${h}.ln_1.bias`, `${b}.ln1.b`, [d]);
    // GPT-2's Conv1D stores weights as [in, out] already (x @ W), so no transpose anywhere here.
    // c_attn packs Q|K|V side by side along the output (column) axis.
    const qkv = [`${b}.attn.W_Q`, `${b}.attn.W_K`, `${b}.attn.W_V`] as const;
    rules.push({
      source: `${h}.attn.c_attn.weight`,
      shape: [d, 3 * d],
      targets: qkv,
      convert: (t) => splitColumns(t, [d, d, d]).map((part, i) => [qkv[i]!, part] as const),
    });
    const qkvBias = [`${b}.attn.b_Q`, `${b}.attn.b_K`, `${b}.attn.b_V`] as const;
    rules.push({
      source: `${h}.attn.c_attn.bias`,
      shape: [3 * d],
      targets: qkvBias,
      convert: (t) => splitVector(t, [d, d, d]).map((part, i) => [qkvBias[i]!, part] as const),
    });
    same(`${h}.attn.c_proj.weight`, `${b}.attn.W_O`, [d, d]);
    same(`${h}.attn.c_proj.bias`, `${b}.attn.b_O`, [d]);
    same(`${h}.ln_2.weight`, `${b}.ln2.w`, [d]);
    same(`${h}.ln_2.bias`, `${b}.ln2.b`, [d]);
    same(`${h}.mlp.c_fc.weight`, `${b}.mlp.W_in`, [d, dMlp]);
    same(`${h}.mlp.c_fc.bias`, `${b}.mlp.b_in`, [dMlp]);
    same(`${h}.mlp.c_proj.weight`, `${b}.mlp.W_out`, [dMlp, d]);
    same(`${h}.mlp.c_proj.bias`, `${b}.mlp.b_out`, [d]);
  }
  same('ln_f.weight', 'ln_final.w', [d]);
  same('ln_f.bias', 'ln_final.b', [d]);
  // lm_head.weight is [vocab, d_model] like W_U; a tied checkpoint may still store the copy.
  if (!spec.tiedEmbeddings) same('lm_head.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    // openai-community/gpt2 saves GPT2Model (`h.0...`); newer saves of GPT2LMHeadModel prefix
    // the body with `transformer.` and keep lm_head at the top level.
    normalise: (name) => (name.startsWith('transformer.') ? name.slice('transformer.'.length) : name),
    ignorable: (name) => MASK_BUFFER.test(name) || (spec.tiedEmbeddings && name === 'lm_head.weight'),
  };
}
