/**
 * Llama and its close relatives: RMSNorm, rotary positions, SwiGLU, grouped-query attention.
 * Llama may have biases (attention_bias on q/k/v/o, mlp_bias on gate/up/down) and scaled rotary
 * frequencies (rope_scaling llama3/linear); Qwen2 is Llama with biases on q/k/v (and, when
 * use_sliding_window says so, a window on its upper layers); Mistral is Llama with a sliding
 * window on every layer.
 */
import { UnsupportedModelError } from '../errors';
import type { ModelSpec, SlidingWindow } from '../spec';
import { headCounts, range, rotary, slidingWindow, windowLayers } from './attention-config';
import {
  asObject,
  CONFIG_FILE,
  int,
  type Json,
  modelType,
  optBool,
  optInt,
  optPosNum,
  optStr,
  refuse,
  specialIds,
} from './config';
import { type ConversionPlan, ROTARY_BUFFER, ruleBuilder, withModelPrefix } from './convert';

/**
 * Qwen2Config: the window is `sliding_window` (4096 when absent, none when null) only when
 * use_sliding_window is true, and applies to the layers from max_window_layers on (28 by
 * default; 0 makes every layer local), or to those layer_types marks "sliding_attention".
 */
function qwenWindow(c: Json, nLayers: number): SlidingWindow | undefined {
  if (!optBool(c, 'use_sliding_window', false) || c.sliding_window === null) return undefined;
  const size = optInt(c, 'sliding_window', 4096);
  const fullLayers = c.max_window_layers === 0 ? 0 : optInt(c, 'max_window_layers', 28);
  const layers = windowLayers(c, nLayers, (l) => l >= fullLayers);
  return layers.length > 0 ? { size, layers } : undefined;
}

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  const type = modelType(c);
  if (type !== 'llama' && type !== 'qwen2' && type !== 'mistral') {
    throw new UnsupportedModelError(`${CONFIG_FILE}: the Llama family cannot read model_type "${type}".`);
  }
  const dModel = int(c, 'hidden_size');
  const { nHeads, nKvHeads, dHead } = headCounts(c, dModel);
  const nLayers = int(c, 'num_hidden_layers');
  const hiddenAct = optStr(c, 'hidden_act', 'silu');
  if (hiddenAct !== 'silu')
    refuse('hidden_act', hiddenAct, 'only "silu" (SwiGLU) is implemented for this family.');
  // Llama's attention_bias puts biases on q, k, v and o; MistralConfig and Qwen2Config have no such field.
  const attentionBias = type === 'llama' && optBool(c, 'attention_bias', false);
  const window =
    type === 'mistral'
      ? slidingWindow(c, range(nLayers))
      : type === 'qwen2'
        ? qwenWindow(c, nLayers)
        : undefined;

  return {
    modelType: type,
    nLayers,
    dModel,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: int(c, 'intermediate_size'),
    vocabSize: int(c, 'vocab_size'),
    nCtx: int(c, 'max_position_embeddings'),
    norm: 'rms',
    normEps: optPosNum(c, 'rms_norm_eps', 1e-6),
    pos: 'rotary',
    rotary: rotary(c, dHead),
    mlp: 'swiglu',
    act: 'silu',
    qkvBias: type === 'qwen2' || attentionBias,
    outBias: attentionBias,
    mlpBias: type === 'llama' && optBool(c, 'mlp_bias', false),
    // LlamaConfig, MistralConfig and Qwen2Config all default to untied.
    tiedEmbeddings: optBool(c, 'tie_word_embeddings', false),
    ...(window ? { slidingWindow: window } : {}),
    ...specialIds(c),
  };
}

/** Every Hugging Face tensor this family's checkpoint holds, and what it becomes. */
export function plan(spec: ModelSpec): ConversionPlan {
  const { dModel: d, dMlp, vocabSize } = spec;
  const q = spec.nHeads * spec.dHead;
  const kv = spec.nKvHeads * spec.dHead;
  const { rules, same, linear } = ruleBuilder();

  same('model.embed_tokens.weight', 'embed.W_E', [vocabSize, d]);
  for (let l = 0; l < spec.nLayers; l++) {
    const h = `model.layers.${l}`;
    const b = `blocks.${l}`;
    same(`${h}.input_layernorm.weight`, `${b}.ln1.w`, [d]);
    // Rows of q_proj/k_proj stay in the checkpoint's order; spec.rotary.layout says which pairs
    // rotate together, so no permutation is needed for either layout.
    linear(`${h}.self_attn.q_proj.weight`, `${b}.attn.W_Q`, q, d);
    linear(`${h}.self_attn.k_proj.weight`, `${b}.attn.W_K`, kv, d);
    linear(`${h}.self_attn.v_proj.weight`, `${b}.attn.W_V`, kv, d);
    if (spec.qkvBias) {
      same(`${h}.self_attn.q_proj.bias`, `${b}.attn.b_Q`, [q]);
      same(`${h}.self_attn.k_proj.bias`, `${b}.attn.b_K`, [kv]);
      same(`${h}.self_attn.v_proj.bias`, `${b}.attn.b_V`, [kv]);
    }
    linear(`${h}.self_attn.o_proj.weight`, `${b}.attn.W_O`, d, q);
    if (spec.outBias) same(`${h}.self_attn.o_proj.bias`, `${b}.attn.b_O`, [d]);
    same(`${h}.post_attention_layernorm.weight`, `${b}.ln2.w`, [d]);
    // SwiGLU as in TransformerLens: act(x @ W_gate) * (x @ W_in), then @ W_out.
    linear(`${h}.mlp.gate_proj.weight`, `${b}.mlp.W_gate`, dMlp, d);
    linear(`${h}.mlp.up_proj.weight`, `${b}.mlp.W_in`, dMlp, d);
    linear(`${h}.mlp.down_proj.weight`, `${b}.mlp.W_out`, d, dMlp);
    if (spec.mlpBias) {
      same(`${h}.mlp.gate_proj.bias`, `${b}.mlp.b_gate`, [dMlp]);
      same(`${h}.mlp.up_proj.bias`, `${b}.mlp.b_in`, [dMlp]);
      same(`${h}.mlp.down_proj.bias`, `${b}.mlp.b_out`, [d]);
    }
  }
  same('model.norm.weight', 'ln_final.w', [d]);
  // W_U keeps lm_head's [vocab, d_model] layout (see spec.ts): no transpose.
  if (!spec.tiedEmbeddings) same('lm_head.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    normalise: withModelPrefix,
    // HF ties lm_head to embed_tokens at load when tie_word_embeddings is set, whatever the file holds.
    ignorable: (name) => ROTARY_BUFFER.test(name) || (spec.tiedEmbeddings && name === 'lm_head.weight'),
  };
}
