/**
 * Gemma and Gemma 2: Llama's layout with (1 + w) RMSNorm, a GELU-gated MLP (GeGLU), token
 * embeddings scaled by √d_model, tied unembedding and a head_dim of its own. Gemma 2 adds norms
 * after attention and after the MLP, soft-capping of attention scores and final logits, a
 * query_pre_attn_scalar for the score scale, and a sliding window on every other layer.
 */
import { UnsupportedModelError } from '../errors';
import type { HostTensor, ModelSpec } from '../spec';
import { headCounts, rotary, slidingWindow, windowLayers } from './attention-config';
import {
  asObject,
  CONFIG_FILE,
  int,
  type Json,
  modelType,
  optBool,
  optChoice,
  optPosNum,
  specialIds,
} from './config';
import { type ConversionPlan, ROTARY_BUFFER, ruleBuilder, withModelPrefix } from './convert';

const ACTIVATIONS: Record<string, ModelSpec['act']> = {
  gelu_pytorch_tanh: 'gelu_new',
  gelu_new: 'gelu_new',
  gelu: 'gelu',
};

/**
 * The MLP's activation is `hidden_activation`. Gemma 1 configs were published with
 * hidden_act "gelu" and no hidden_activation; transformers then uses gelu_pytorch_tanh (the
 * activation the model was trained with), and so do we.
 */
function activation(c: Json): ModelSpec['act'] {
  return optChoice(c, 'hidden_activation', ACTIVATIONS, 'gelu_pytorch_tanh');
}

/** A soft-cap: the class default when the field is absent, none when it is null. */
function softcap(c: Json, key: string, fallback: number): number | undefined {
  if (c[key] === null) return undefined;
  return optPosNum(c, key, fallback);
}

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  const type = modelType(c);
  if (type !== 'gemma' && type !== 'gemma2') {
    throw new UnsupportedModelError(`${CONFIG_FILE}: the Gemma family cannot read model_type "${type}".`);
  }
  const g2 = type === 'gemma2';
  const dModel = int(c, 'hidden_size');
  const nLayers = int(c, 'num_hidden_layers');
  const { nHeads, nKvHeads, dHead } = headCounts(c, dModel);
  const bias = optBool(c, 'attention_bias', false); // on q, k, v and o alike
  // Gemma2Attention: `sliding_window if not bool(layer_idx % 2)`, so layers 0, 2, 4... are local.
  const local = g2 ? windowLayers(c, nLayers, (l) => l % 2 === 0) : [];
  const window = g2 ? slidingWindow(c, local) : undefined;
  const attnSoftcap = g2 ? softcap(c, 'attn_logit_softcapping', 50) : undefined;
  const finalSoftcap = g2 ? softcap(c, 'final_logit_softcapping', 30) : undefined;
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
    act: activation(c),
    qkvBias: bias,
    outBias: bias,
    mlpBias: false,
    tiedEmbeddings: optBool(c, 'tie_word_embeddings', true),
    // HF multiplies by √hidden_size cast to the embedding dtype; the engine runs float32.
    embedScale: Math.sqrt(dModel),
    ...(g2
      ? {
          // Gemma2Config's default query_pre_attn_scalar is 256 (= head_dim of the released models).
          attnScale: optPosNum(c, 'query_pre_attn_scalar', 256) ** -0.5,
          postNorms: true,
          ...(attnSoftcap ? { attnSoftcap } : {}),
          ...(finalSoftcap ? { finalSoftcap } : {}),
          ...(window ? { slidingWindow: window } : {}),
        }
      : {}),
    ...specialIds(c),
  };
}

/** Gemma's RMSNorm multiplies by (1 + w); the canonical weight is that factor (as TransformerLens stores it). */
function plusOne(t: HostTensor): HostTensor {
  return { shape: t.shape, data: t.data.map((v) => 1 + v) };
}

/** Every Hugging Face tensor this family's checkpoint holds, and what it becomes. */
export function plan(spec: ModelSpec): ConversionPlan {
  const { dModel: d, dMlp, vocabSize } = spec;
  const q = spec.nHeads * spec.dHead;
  const kv = spec.nKvHeads * spec.dHead;
  const { rules, same, linear } = ruleBuilder();
  const norm = (source: string, target: string) =>
    rules.push({ source, shape: [d], targets: [target], convert: (t) => [[target, plusOne(t)]] });

  same('model.embed_tokens.weight', 'embed.W_E', [vocabSize, d]);
  for (let l = 0; l < spec.nLayers; l++) {
    const h = `model.layers.${l}`;
    const b = `blocks.${l}`;
    norm(`${h}.input_layernorm.weight`, `${b}.ln1.w`);
    linear(`${h}.self_attn.q_proj.weight`, `${b}.attn.W_Q`, q, d);
    linear(`${h}.self_attn.k_proj.weight`, `${b}.attn.W_K`, kv, d);
    linear(`${h}.self_attn.v_proj.weight`, `${b}.attn.W_V`, kv, d);
    linear(`${h}.self_attn.o_proj.weight`, `${b}.attn.W_O`, d, q);
    if (spec.qkvBias) {
      same(`${h}.self_attn.q_proj.bias`, `${b}.attn.b_Q`, [q]);
      same(`${h}.self_attn.k_proj.bias`, `${b}.attn.b_K`, [kv]);
      same(`${h}.self_attn.v_proj.bias`, `${b}.attn.b_V`, [kv]);
      same(`${h}.self_attn.o_proj.bias`, `${b}.attn.b_O`, [d]);
    }
    if (spec.postNorms) {
      // Gemma 2's post_attention_layernorm normalises the attention output (TransformerLens'
      // ln1_post); its pre-MLP norm is pre_feedforward_layernorm.
      norm(`${h}.post_attention_layernorm.weight`, `${b}.ln1_post.w`);
      norm(`${h}.pre_feedforward_layernorm.weight`, `${b}.ln2.w`);
      norm(`${h}.post_feedforward_layernorm.weight`, `${b}.ln2_post.w`);
    } else {
      norm(`${h}.post_attention_layernorm.weight`, `${b}.ln2.w`);
    }
    linear(`${h}.mlp.gate_proj.weight`, `${b}.mlp.W_gate`, dMlp, d);
    linear(`${h}.mlp.up_proj.weight`, `${b}.mlp.W_in`, dMlp, d);
    linear(`${h}.mlp.down_proj.weight`, `${b}.mlp.W_out`, d, dMlp);
  }
  norm('model.norm.weight', 'ln_final.w');
  if (!spec.tiedEmbeddings) same('lm_head.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    normalise: withModelPrefix,
    ignorable: (name) => ROTARY_BUFFER.test(name) || (spec.tiedEmbeddings && name === 'lm_head.weight'),
  };
}
