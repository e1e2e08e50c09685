/**
 * GPT-NeoX (Pythia): LayerNorm, partial rotary (the first rotary_pct of each head rotates),
 * biases everywhere, an untied unembedding (embed_out), and by default a parallel residual:
 * resid + attn(ln1(resid)) + mlp(ln2(resid)).
 */
import type { HostTensor, ModelSpec } from '../spec';
import {
  asObject,
  exactDiv,
  int,
  modelType,
  optBool,
  optChoice,
  optPosNum,
  refuse,
  specialIds,
} from './config';
import { type ConversionPlan, ROTARY_BUFFER, ruleBuilder, transposed } from './convert';

const ACTIVATIONS: Record<string, ModelSpec['act']> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
};

export function specFromHf(json: unknown): ModelSpec {
  const c = asObject(json);
  modelType(c);
  const dModel = int(c, 'hidden_size');
  const nHeads = int(c, 'num_attention_heads');
  const dHead = exactDiv(dModel, 'hidden_size', nHeads, 'num_attention_heads');
  const act = optChoice(c, 'hidden_act', ACTIVATIONS, 'gelu');
  if (c.rope_scaling !== null && c.rope_scaling !== undefined)
    refuse('rope_scaling', c.rope_scaling, 'scaled rotary embeddings are not implemented for GPT-NeoX.');
  // GPTNeoXAttention: rotary_ndims = int(head_size * rotary_pct).
  const pct = optPosNum(c, 'rotary_pct', 0.25);
  const rotaryDim = Math.floor(dHead * pct);
  if (rotaryDim % 2 !== 0)
    refuse('rotary_pct', pct, `it must give an even number of rotary dims ≤ the head size (${dHead}).`);
  const bias = optBool(c, 'attention_bias', true);
  return {
    modelType: 'gpt_neox',
    nLayers: int(c, 'num_hidden_layers'),
    dModel,
    nHeads,
    nKvHeads: nHeads,
    dHead,
    dMlp: int(c, 'intermediate_size'),
    vocabSize: int(c, 'vocab_size'),
    nCtx: int(c, 'max_position_embeddings'),
    norm: 'layer',
    normEps: optPosNum(c, 'layer_norm_eps', 1e-5),
    pos: 'rotary',
    // Older configs name the base rotary_emb_base; newer ones rope_theta.
    rotary: {
      theta: optPosNum(c, 'rope_theta', optPosNum(c, 'rotary_emb_base', 10000)),
      dim: rotaryDim,
      layout: 'half',
    },
    mlp: 'gelu',
    act,
    qkvBias: bias,
    outBias: bias,
    mlpBias: true,
    tiedEmbeddings: optBool(c, 'tie_word_embeddings', false),
    parallelResidual: optBool(c, 'use_parallel_residual', true),
    ...specialIds(c),
  };
}

/**
 * query_key_value packs q, k and v per head: GPTNeoXAttention views its output as
 * [batch, pos, heads, 3 · head_size] and takes [..., :D] as q, [..., D:2D] as k, [..., 2D:] as v.
 * So output row h·3D + j·D + e is component j (q, k, v) of head h, feature e. Canonical W_Q/K/V
 * keep heads side by side ([.., h·D + e]), so the rows are regrouped once here (before the
 * transpose to [in, out]); a plain three-way split would mix heads and still run, wrongly.
 */
function splitPerHead(t: HostTensor, nHeads: number, dHead: number): HostTensor[] {
  const cols = t.shape.length === 2 ? t.shape[1]! : 1;
  return [0, 1, 2].map((j) => {
    const data = new Float32Array(nHeads * dHead * cols);
    for (let h = 0; h < nHeads; h++) {
      const from = (h * 3 * dHead + j * dHead) * cols;
      data.set(t.data.subarray(from, from + dHead * cols), h * dHead * cols);
    }
    return { shape: t.shape.length === 2 ? [nHeads * dHead, cols] : [nHeads * dHead], data };
  });
}

/** Causal-mask buffers that older saves store in every layer; they are not weights. */
const MASK_BUFFER = /\.attention\.(bias|masked_bias)$/;

/** Every Hugging Face tensor this family's checkpoint holds, and what it becomes. */
export function plan(spec: ModelSpec): ConversionPlan {
  const { dModel: d, dMlp, vocabSize, nHeads: H, dHead: D } = spec;
  const { rules, same, linear } = ruleBuilder();
  const layerNorm = (source: string, target: string) => {
    same(`${source}.weight`, `${target}.w`, [d]);
    same(`${source}.bias`, `${target}.b`, [d]);
  };

  same('gpt_neox.embed_in.weight', 'embed.W_E', [vocabSize, d]);
  for (let l = 0; l < spec.nLayers; l++) {
    const h = `gpt_neox.layers.${l}`;
    const b = `blocks.${l}`;
    layerNorm(`${h}.input_layernorm`, `${b}.ln1`);
    const qkv = [`${b}.attn.W_Q`, `${b}.attn.W_K`, `${b}.attn.W_V`] as const;
    rules.push({
      source: `${h}.attention.query_key_value.weight`,
      shape: [3 * H * D, d],
      targets: qkv,
      convert: (t) => splitPerHead(t, H, D).map((part, i) => [qkv[i]!, transposed(part)] as const),
    });
    if (spec.qkvBias) {
      const qkvBias = [`${b}.attn.b_Q`, `${b}.attn.b_K`, `${b}.attn.b_V`] as const;
      rules.push({
        source: `${h}.attention.query_key_value.bias`,
        shape: [3 * H * D],
        targets: qkvBias,
        convert: (t) => splitPerHead(t, H, D).map((part, i) => [qkvBias[i]!, part] as const),
      });
    }
    linear(`${h}.attention.dense.weight`, `${b}.attn.W_O`, d, H * D);
    if (spec.outBias) same(`${h}.attention.dense.bias`, `${b}.attn.b_O`, [d]);
    layerNorm(`${h}.post_attention_layernorm`, `${b}.ln2`);
    linear(`${h}.mlp.dense_h_to_4h.weight`, `${b}.mlp.W_in`, dMlp, d);
    same(`${h}.mlp.dense_h_to_4h.bias`, `${b}.mlp.b_in`, [dMlp]);
    linear(`${h}.mlp.dense_4h_to_h.weight`, `${b}.mlp.W_out`, d, dMlp);
    same(`${h}.mlp.dense_4h_to_h.bias`, `${b}.mlp.b_out`, [d]);
  }
  layerNorm('gpt_neox.final_layer_norm', 'ln_final');
  if (!spec.tiedEmbeddings) same('embed_out.weight', 'unembed.W_U', [vocabSize, d]);

  return {
    rules,
    // A save of the bare GPTNeoXModel has no `gpt_neox.` prefix.
    normalise: (name) =>
      name.startsWith('gpt_neox.') || name.startsWith('embed_out.') ? name : `gpt_neox.${name}`,
    ignorable: (name) =>
      ROTARY_BUFFER.test(name) ||
      MASK_BUFFER.test(name) ||
      (spec.tiedEmbeddings && name === 'embed_out.weight'),
  };
}
