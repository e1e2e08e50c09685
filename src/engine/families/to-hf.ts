/**
 * Canonical weights back to a Hugging Face checkpoint: the inverse of each family's keymap, so an
 * edited model (orthogonalised, Steer2Edit) leaves Rudder as a folder that transformers,
 * llama.cpp's converter and Rudder itself load. Names are those `save_pretrained` writes
 * (GPT2LMHeadModel: `transformer.` + `lm_head`; LlamaForCausalLM: `model.` + `lm_head`), layouts
 * HF's (nn.Linear [out, in]; GPT-2's Conv1D [in, out]), dtype F32. A tied model omits lm_head, as
 * save_pretrained does. The round-trip test holds this to the forward keymap.
 */
import { UnsupportedModelError } from '../errors';
import type { HostTensor, ModelSpec } from '../spec';
import { concatColumns } from '../weights-device';
import { transposed } from './convert';

/** HF name → tensor, in the order save_pretrained writes them. */
export function toHfCheckpoint(spec: ModelSpec, w: ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const get = (name: string) => {
    const t = w.get(name);
    if (!t) throw new UnsupportedModelError(`Cannot export: canonical weight ${name} is missing.`);
    return t;
  };
  const out = new Map<string, HostTensor>();
  if (spec.modelType === 'gpt2') {
    // Conv1D weights are [in, out] like the canonical ones: no transposes, only Q|K|V joined.
    const t = 'transformer';
    out.set(`${t}.wte.weight`, get('embed.W_E'));
    out.set(`${t}.wpe.weight`, get('pos_embed.W_pos'));
    for (let l = 0; l < spec.nLayers; l++) {
      const b = `blocks.${l}`;
      const h = `${t}.h.${l}`;
      out.set(`${h}.ln_1.weight`, get(`${b}.ln1.w`));
      out.set(`${h}.ln_1.bias`, get(`${b}.ln1.b`));
      out.set(
        `${h}.attn.c_attn.weight`,
        concatColumns(['W_Q', 'W_K', 'W_V'].map((n) => get(`${b}.attn.${n}`))),
      );
      out.set(
        `${h}.attn.c_attn.bias`,
        concatColumns(['b_Q', 'b_K', 'b_V'].map((n) => get(`${b}.attn.${n}`))),
      );
      out.set(`${h}.attn.c_proj.weight`, get(`${b}.attn.W_O`));
      out.set(`${h}.attn.c_proj.bias`, get(`${b}.attn.b_O`));
      out.set(`${h}.ln_2.weight`, get(`${b}.ln2.w`));
      out.set(`${h}.ln_2.bias`, get(`${b}.ln2.b`));
      out.set(`${h}.mlp.c_fc.weight`, get(`${b}.mlp.W_in`));
      out.set(`${h}.mlp.c_fc.bias`, get(`${b}.mlp.b_in`));
      out.set(`${h}.mlp.c_proj.weight`, get(`${b}.mlp.W_out`));
      out.set(`${h}.mlp.c_proj.bias`, get(`${b}.mlp.b_out`));
    }
    out.set(`${t}.ln_f.weight`, get('ln_final.w'));
    out.set(`${t}.ln_f.bias`, get('ln_final.b'));
  } else if (spec.modelType === 'llama' || spec.modelType === 'qwen2' || spec.modelType === 'mistral') {
    // nn.Linear stores [out, in]; the canonical matrices are [in, out].
    const linear = (name: string) => transposed(get(name));
    out.set('model.embed_tokens.weight', get('embed.W_E'));
    for (let l = 0; l < spec.nLayers; l++) {
      const b = `blocks.${l}`;
      const h = `model.layers.${l}`;
      out.set(`${h}.input_layernorm.weight`, get(`${b}.ln1.w`));
      out.set(`${h}.self_attn.q_proj.weight`, linear(`${b}.attn.W_Q`));
      out.set(`${h}.self_attn.k_proj.weight`, linear(`${b}.attn.W_K`));
      out.set(`${h}.self_attn.v_proj.weight`, linear(`${b}.attn.W_V`));
      if (spec.qkvBias) {
        out.set(`${h}.self_attn.q_proj.bias`, get(`${b}.attn.b_Q`));
        out.set(`${h}.self_attn.k_proj.bias`, get(`${b}.attn.b_K`));
        out.set(`${h}.self_attn.v_proj.bias`, get(`${b}.attn.b_V`));
      }
      out.set(`${h}.self_attn.o_proj.weight`, linear(`${b}.attn.W_O`));
      out.set(`${h}.post_attention_layernorm.weight`, get(`${b}.ln2.w`));
      out.set(`${h}.mlp.gate_proj.weight`, linear(`${b}.mlp.W_gate`));
      out.set(`${h}.mlp.up_proj.weight`, linear(`${b}.mlp.W_in`));
      out.set(`${h}.mlp.down_proj.weight`, linear(`${b}.mlp.W_out`));
    }
    out.set('model.norm.weight', get('ln_final.w'));
  } else {
    throw new UnsupportedModelError(
      `Exporting a ${spec.modelType} model is not implemented (gpt2, llama, qwen2, mistral are).`,
    );
  }
  if (!spec.tiedEmbeddings) out.set('lm_head.weight', get('unembed.W_U'));
  return out;
}

/** The config.json of the exported model: the original, with what the weights changed (tying). */
export function hfConfig(
  original: Readonly<Record<string, unknown>>,
  spec: ModelSpec,
): Record<string, unknown> {
  return { ...original, tie_word_embeddings: spec.tiedEmbeddings, torch_dtype: 'float32' };
}
