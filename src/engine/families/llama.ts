/**
 * Llama and its close relatives: RMSNorm, rotary positions, SwiGLU, grouped-query attention.
 * Qwen2 is Llama with biases on q/k/v; Mistral is Llama with an optional sliding window.
 */
import { UnsupportedModelError } from '../errors';
import type { HostTensor, ModelSpec, RotaryLayout } from '../spec';
import {
  asObject,
  CONFIG_FILE,
  exactDiv,
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
import { type ConversionPlan, convertCheckpoint, type SourceRule, transposed } from './convert';
import type { CheckpointReader } from './types';

type LlamaLike = 'llama' | 'qwen2' | 'mistral';

function rotaryLayout(c: Json): RotaryLayout {
  // Not a Hugging Face field: fixtures written by our PyTorch reference in Meta's original layout
  // say so here. (SmolLM2's `rope_interleaved` is ignored because transformers ignores it too.)
  const layout = optStr(c, 'rotary_layout', 'half');
  if (layout !== 'half' && layout !== 'interleaved') {
    refuse('rotary_layout', layout, 'use "half" (Hugging Face) or "interleaved" (Meta, llama2.c).');
  }
  return layout;
}

/**
 * The longest context we can run exactly. A sliding window only changes attention when a query is
 * at least `window` positions past a key; capping the context at the window makes it a no-op.
 */
function contextLength(c: Json, type: LlamaLike): number {
  const maxPos = int(c, 'max_position_embeddings');
  const window = c.sliding_window;
  // Qwen2 carries a sliding_window value even when it is switched off by use_sliding_window.
  const windowOn = type === 'mistral' || (type === 'qwen2' && optBool(c, 'use_sliding_window', false));
  if (!windowOn || window === null || window === undefined) return maxPos;
  return Math.min(maxPos, optInt(c, 'sliding_window', maxPos));
}

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  const type = modelType(c);
  if (type !== 'llama' && type !== 'qwen2' && type !== 'mistral') {
    throw new UnsupportedModelError(`${CONFIG_FILE}: the Llama family cannot read model_type "${type}".`);
  }
  const dModel = int(c, 'hidden_size');
  const nHeads = int(c, 'num_attention_heads');
  const nKvHeads = optInt(c, 'num_key_value_heads', nHeads);
  if (nHeads % nKvHeads !== 0) {
    throw new UnsupportedModelError(
      `${CONFIG_FILE}: "num_attention_heads" (${nHeads}) is not a multiple of "num_key_value_heads" (${nKvHeads}).`,
    );
  }
  const dHead = optInt(c, 'head_dim', 0) || exactDiv(dModel, 'hidden_size', nHeads, 'num_attention_heads');

  if (c.rope_scaling !== null && c.rope_scaling !== undefined) {
    refuse(
      'rope_scaling',
      c.rope_scaling,
      'scaled rotary embeddings (llama3, linear, dynamic, yarn) are not implemented yet; only plain RoPE (rope_scaling: null) is.',
    );
  }
  const hiddenAct = optStr(c, 'hidden_act', 'silu');
  if (hiddenAct !== 'silu')
    refuse('hidden_act', hiddenAct, 'only "silu" (SwiGLU) is implemented for this family.');
  // Llama's attention_bias puts a bias on o_proj as well, and mlp_bias on all three MLP
  // projections; the canonical layout has no o-bias without MLP biases and no gate bias.
  if (type === 'llama' && optBool(c, 'attention_bias', false)) {
    refuse(
      'attention_bias',
      true,
      'biases on the Llama attention projections (including o_proj) are not implemented.',
    );
  }
  if (optBool(c, 'mlp_bias', false))
    refuse('mlp_bias', true, 'biases on the SwiGLU projections are not implemented.');

  return {
    modelType: type,
    nLayers: int(c, 'num_hidden_layers'),
    dModel,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: int(c, 'intermediate_size'),
    vocabSize: int(c, 'vocab_size'),
    nCtx: contextLength(c, type),
    norm: 'rms',
    normEps: optPosNum(c, 'rms_norm_eps', 1e-6),
    pos: 'rotary',
    rotary: { theta: optPosNum(c, 'rope_theta', 10000), dim: dHead, layout: rotaryLayout(c) },
    mlp: 'swiglu',
    act: 'silu',
    qkvBias: type === 'qwen2',
    outBias: false,
    // LlamaConfig, MistralConfig and Qwen2Config all default to untied.
    tiedEmbeddings: optBool(c, 'tie_word_embeddings', false),
    ...specialIds(c),
  };
}

/** Buffers some older saves keep next to the weights; recomputed from rope_theta. */
const ROTARY_BUFFER = /(^|\.)rotary_emb\.inv_freq$/;

function plan(spec: ModelSpec): ConversionPlan {
  const { dModel: d, dMlp, vocabSize } = spec;
  const q = spec.nHeads * spec.dHead;
  const kv = spec.nKvHeads * spec.dHead;
  const rules: SourceRule[] = [];
  const same = (source: string, target: string, shape: readonly number[]) =>
    rules.push({ source, shape, targets: [target], convert: (t) => [[target, t]] });
  // nn.Linear stores its weight as [out, in] and computes x @ W^T. The kernels want x @ W with no
  // per-call transpose (DESIGN.md, performance habits), so each matrix is transposed once, here.
  const linear = (source: string, target: string, out: number, inp: number) =>
    rules.push({ source, shape: [out, inp], targets: [target], convert: (t) => [[target, transposed(t)]] });

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
    same(`${h}.post_attention_layernorm.weight`, `${b}.ln2.w`, [d]);
    // SwiGLU as in TransformerLens: act(x @ W_gate) * (x @ W_in), then @ W_out.
    linear(`${h}.mlp.gate_proj.weight`, `${b}.mlp.W_gate`, dMlp, d);
    linear(`${h}.mlp.up_proj.weight`, `${b}.mlp.W_in`, dMlp, d);
    linear(`${h}.mlp.down_proj.weight`, `${b}.mlp.W_out`, d, dMlp);
  }
  same('model.norm.weight', 'ln_final.w', [d]);
  // W_U keeps lm_head's [vocab, d_model] layout (see spec.ts): no transpose.
  if (!spec.tiedEmbeddings) same('lm_head.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    // A save of the bare LlamaModel (no LM head) has no `model.` prefix; accept both spellings.
    normalise: (name) => (name.startsWith('model.') || name.startsWith('lm_head.') ? name : `model.${name}`),
    // HF ties lm_head to embed_tokens at load when tie_word_embeddings is set, whatever the file holds.
    ignorable: (name) => ROTARY_BUFFER.test(name) || (spec.tiedEmbeddings && name === 'lm_head.weight'),
  };
}

export function toCanonical(spec: ModelSpec, checkpoint: CheckpointReader): Map<string, HostTensor> {
  return convertCheckpoint(spec, checkpoint, plan(spec));
}
