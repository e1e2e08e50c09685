/**
 * Phi-3: Llama's computation with fused projections (qkv_proj holds q | k | v, gate_up_proj holds
 * gate | up), a sliding window on every layer (Mistral's mask), and optionally partial rotary.
 * The long-context rope variants (longrope, su) are refused by name.
 */
import type { ModelSpec } from '../spec';
import { headCounts, range, rotary, slidingWindow } from './attention-config';
import { asObject, int, modelType, optBool, optPosNum, optStr, refuse, specialIds } from './config';
import { type ConversionPlan, ROTARY_BUFFER, ruleBuilder, withModelPrefix } from './convert';

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  modelType(c);
  const dModel = int(c, 'hidden_size');
  const nLayers = int(c, 'num_hidden_layers');
  const { nHeads, nKvHeads, dHead } = headCounts(c, dModel);
  const hiddenAct = optStr(c, 'hidden_act', 'silu');
  if (hiddenAct !== 'silu') refuse('hidden_act', hiddenAct, 'only "silu" is implemented for Phi-3.');
  const window = slidingWindow(c, range(nLayers));
  // PhiRotaryEmbedding rotates int(head_dim * partial_rotary_factor) leading dims (Phi-4-mini: 0.75).
  const factor = optPosNum(c, 'partial_rotary_factor', 1);
  const rotaryDim = Math.floor(dHead * factor);
  if (rotaryDim % 2 !== 0)
    refuse(
      'partial_rotary_factor',
      factor,
      `it must give an even number of rotary dims ≤ head_dim (${dHead}).`,
    );
  return {
    modelType: 'phi3',
    nLayers,
    dModel,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: int(c, 'intermediate_size'),
    vocabSize: int(c, 'vocab_size'),
    nCtx: int(c, 'max_position_embeddings'),
    norm: 'rms',
    normEps: optPosNum(c, 'rms_norm_eps', 1e-5),
    pos: 'rotary',
    rotary: rotary(c, rotaryDim),
    mlp: 'swiglu',
    act: 'silu',
    qkvBias: false,
    outBias: false,
    mlpBias: false,
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
  const { rules, same, linear, fusedLinear } = ruleBuilder();

  same('model.embed_tokens.weight', 'embed.W_E', [vocabSize, d]);
  for (let l = 0; l < spec.nLayers; l++) {
    const h = `model.layers.${l}`;
    const b = `blocks.${l}`;
    same(`${h}.input_layernorm.weight`, `${b}.ln1.w`, [d]);
    // Phi3Attention slices qkv_proj's output as [:q], [q : q + kv], [q + kv:].
    const qkv = [`${b}.attn.W_Q`, `${b}.attn.W_K`, `${b}.attn.W_V`];
    fusedLinear(`${h}.self_attn.qkv_proj.weight`, qkv, [q, kv, kv], d);
    linear(`${h}.self_attn.o_proj.weight`, `${b}.attn.W_O`, d, q);
    same(`${h}.post_attention_layernorm.weight`, `${b}.ln2.w`, [d]);
    // Phi3MLP: gate, up = gate_up_proj(x).chunk(2); up * act(gate).
    fusedLinear(`${h}.mlp.gate_up_proj.weight`, [`${b}.mlp.W_gate`, `${b}.mlp.W_in`], [dMlp, dMlp], d);
    linear(`${h}.mlp.down_proj.weight`, `${b}.mlp.W_out`, d, dMlp);
  }
  same('model.norm.weight', 'ln_final.w', [d]);
  if (!spec.tiedEmbeddings) same('lm_head.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    normalise: withModelPrefix,
    ignorable: (name) => ROTARY_BUFFER.test(name) || (spec.tiedEmbeddings && name === 'lm_head.weight'),
  };
}
