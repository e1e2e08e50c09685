import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ShapeMismatchError, UnsupportedModelError } from '../../../../src/engine/errors';
import { type CheckpointReader, toCanonical } from '../../../../src/engine/families';
import { specFromHf } from '../../../../src/engine/families/llama';
import { expectedWeights, type HostTensor, parameterCount } from '../../../../src/engine/spec';
import { at, checkpointOf, hubConfig } from './helpers';

const base = {
  model_type: 'llama',
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 10,
  max_position_embeddings: 16,
  rms_norm_eps: 1e-5,
};

/** HF Llama names and nn.Linear [out, in] shapes; dHead 2, so q is 8 wide and k/v 4 wide. */
function llamaShapes(
  opts: { lmHead?: boolean; biases?: boolean; outBiases?: boolean; prefix?: string } = {},
) {
  const p = opts.prefix ?? 'model.';
  const s: Record<string, readonly number[]> = {
    [`${p}embed_tokens.weight`]: [10, 8],
    [`${p}norm.weight`]: [8],
  };
  if (opts.lmHead) s['lm_head.weight'] = [10, 8];
  for (let l = 0; l < 2; l++) {
    const h = `${p}layers.${l}`;
    Object.assign(s, {
      [`${h}.input_layernorm.weight`]: [8],
      [`${h}.self_attn.q_proj.weight`]: [8, 8],
      [`${h}.self_attn.k_proj.weight`]: [4, 8],
      [`${h}.self_attn.v_proj.weight`]: [4, 8],
      [`${h}.self_attn.o_proj.weight`]: [8, 8],
      [`${h}.self_attn.rotary_emb.inv_freq`]: [1],
      [`${h}.post_attention_layernorm.weight`]: [8],
      [`${h}.mlp.gate_proj.weight`]: [12, 8],
      [`${h}.mlp.up_proj.weight`]: [12, 8],
      [`${h}.mlp.down_proj.weight`]: [8, 12],
    });
    if (opts.biases) {
      Object.assign(s, {
        [`${h}.self_attn.q_proj.bias`]: [8],
        [`${h}.self_attn.k_proj.bias`]: [4],
        [`${h}.self_attn.v_proj.bias`]: [4],
      });
    }
    if (opts.outBiases) {
      Object.assign(s, {
        [`${h}.self_attn.o_proj.bias`]: [8],
        [`${h}.mlp.gate_proj.bias`]: [12],
        [`${h}.mlp.up_proj.bias`]: [12],
        [`${h}.mlp.down_proj.bias`]: [8],
      });
    }
  }
  return s;
}

/** Asserts m = tᵀ element by element. */
function expectTransposeOf(m: HostTensor, t: HostTensor) {
  const [rows, cols] = t.shape as [number, number];
  expect(m.shape).toEqual([cols, rows]);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(at(m, j, i)).toBe(at(t, i, j));
}

describe('llama config', () => {
  it('reads grouped-query attention, RMSNorm, SwiGLU and half-split rotary', () => {
    expect(specFromHf(base)).toEqual({
      modelType: 'llama',
      nLayers: 2,
      dModel: 8,
      nHeads: 4,
      nKvHeads: 2,
      dHead: 2,
      dMlp: 12,
      vocabSize: 10,
      nCtx: 16,
      norm: 'rms',
      normEps: 1e-5,
      pos: 'rotary',
      rotary: { theta: 10000, dim: 2, layout: 'half' },
      mlp: 'swiglu',
      act: 'silu',
      qkvBias: false,
      outBias: false,
      mlpBias: false,
      tiedEmbeddings: false,
      eosTokenIds: [],
    });
  });

  it('defaults key/value heads to the attention heads and takes head_dim when given', () => {
    const { num_key_value_heads: _, ...noKv } = base;
    expect(specFromHf(noKv).nKvHeads).toBe(4);
    expect(specFromHf({ ...base, head_dim: 6 }).dHead).toBe(6);
  });

  it('selects the interleaved rotary layout from the non-HF rotary_layout flag', () => {
    expect(specFromHf({ ...base, rotary_layout: 'interleaved' }).rotary?.layout).toBe('interleaved');
    expect(() => specFromHf({ ...base, rotary_layout: 'gptj' })).toThrow(/"rotary_layout": "gptj"/);
  });

  it('reads llama3 and linear rope_scaling, and refuses other types naming the type', () => {
    const llama3 = {
      rope_type: 'llama3',
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    };
    expect(specFromHf({ ...base, rope_scaling: llama3 }).rotary?.scaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalContext: 8192,
    });
    // Older configs spell rope_type as type.
    expect(specFromHf({ ...base, rope_scaling: { type: 'linear', factor: 2 } }).rotary?.scaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    for (const type of ['dynamic', 'yarn', 'longrope']) {
      const call = () => specFromHf({ ...base, rope_scaling: { rope_type: type, factor: 2 } });
      expect(call).toThrow(UnsupportedModelError);
      expect(call).toThrow(
        new RegExp(`"rope_scaling".*type "${type}" is not implemented; supported types: llama3, linear`),
      );
    }
    expect(() => specFromHf({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(
      /type "llama3" needs a positive "low_freq_factor"/,
    );
    expect(specFromHf({ ...base, rope_scaling: null }).rotary?.scaling).toBeUndefined();
  });

  it('reads Llama attention_bias (q, k, v and o) and mlp_bias (gate, up and down)', () => {
    expect(specFromHf({ ...base, attention_bias: true })).toMatchObject({
      qkvBias: true,
      outBias: true,
      mlpBias: false,
    });
    expect(specFromHf({ ...base, mlp_bias: true })).toMatchObject({
      qkvBias: false,
      outBias: false,
      mlpBias: true,
    });
    const w = toCanonical(
      specFromHf({ ...base, attention_bias: true, mlp_bias: true }),
      checkpointOf(llamaShapes({ lmHead: true, biases: true, outBiases: true })),
    );
    for (const name of ['attn.b_Q', 'attn.b_O', 'mlp.b_gate', 'mlp.b_in', 'mlp.b_out'])
      expect(w.has(`blocks.1.${name}`), name).toBe(true);
  });

  it('gives qwen2 its q/k/v biases and ignores a sliding window that is switched off', () => {
    const q = specFromHf({ ...base, model_type: 'qwen2', sliding_window: 4, use_sliding_window: false });
    expect(q).toMatchObject({ modelType: 'qwen2', qkvBias: true, outBias: false, nCtx: 16 });
  });

  it('gives mistral its sliding window on every layer', () => {
    expect(specFromHf({ ...base, model_type: 'mistral', sliding_window: 4 })).toMatchObject({
      nCtx: 16,
      slidingWindow: { size: 4, layers: [0, 1] },
    });
    expect(
      specFromHf({ ...base, model_type: 'mistral', sliding_window: null }).slidingWindow,
    ).toBeUndefined();
    expect(specFromHf({ ...base, sliding_window: 4 }).slidingWindow).toBeUndefined();
  });

  it('gives qwen2 its window as Qwen2Config does: from max_window_layers on, or where layer_types says', () => {
    const qwen = (extra: Record<string, unknown>) =>
      specFromHf({ ...base, model_type: 'qwen2', use_sliding_window: true, ...extra });
    // The context stays the model's; the window acts on the layers past max_window_layers.
    expect(qwen({ sliding_window: 8, max_window_layers: 1 })).toMatchObject({
      nCtx: 16,
      slidingWindow: { size: 8, layers: [1] },
    });
    expect(qwen({ sliding_window: 8, max_window_layers: 0 }).slidingWindow?.layers).toEqual([0, 1]);
    // max_window_layers defaults to 28 and sliding_window to 4096: no layer of this model is past it.
    expect(qwen({}).slidingWindow).toBeUndefined();
    expect(qwen({ max_window_layers: 0 }).slidingWindow).toEqual({ size: 4096, layers: [0, 1] });
    expect(qwen({ sliding_window: null, max_window_layers: 0 }).slidingWindow).toBeUndefined();
    expect(
      qwen({ sliding_window: 4, layer_types: ['sliding_attention', 'full_attention'] }).slidingWindow,
    ).toEqual({ size: 4, layers: [0] });
    expect(() => qwen({ max_window_layers: -1 })).toThrow(/"max_window_layers"/);
    expect(() => qwen({ layer_types: ['full_attention'] })).toThrow(/"layer_types".*each of the 2 layers/);
  });

  it('refuses activations other than silu and head counts that do not group', () => {
    expect(() => specFromHf({ ...base, hidden_act: 'gelu' })).toThrow(/"hidden_act": "gelu"/);
    expect(() => specFromHf({ ...base, num_key_value_heads: 3 })).toThrow(
      /not a multiple of "num_key_value_heads"/,
    );
  });
});

describe('llama weights', () => {
  const spec = specFromHf(base);

  it('transposes every nn.Linear weight once to [in, out]', () => {
    const ckpt = checkpointOf(llamaShapes({ lmHead: true }));
    const w = toCanonical(spec, ckpt);
    const src = (n: string) => ckpt.tensors.get(`model.layers.1.${n}.weight`)!;
    expectTransposeOf(w.get('blocks.1.attn.W_Q')!, src('self_attn.q_proj'));
    expectTransposeOf(w.get('blocks.1.attn.W_K')!, src('self_attn.k_proj'));
    expectTransposeOf(w.get('blocks.1.attn.W_V')!, src('self_attn.v_proj'));
    expectTransposeOf(w.get('blocks.1.attn.W_O')!, src('self_attn.o_proj'));
    expectTransposeOf(w.get('blocks.1.mlp.W_gate')!, src('mlp.gate_proj'));
    expectTransposeOf(w.get('blocks.1.mlp.W_in')!, src('mlp.up_proj'));
    expectTransposeOf(w.get('blocks.1.mlp.W_out')!, src('mlp.down_proj'));
  });

  it('keeps the embedding, norms and an untied lm_head in their own layout', () => {
    const ckpt = checkpointOf(llamaShapes({ lmHead: true }));
    const w = toCanonical(spec, ckpt);
    expect(w.get('embed.W_E')!.data).toBe(ckpt.tensors.get('model.embed_tokens.weight')!.data);
    expect(w.get('unembed.W_U')!.shape).toEqual([10, 8]);
    expect(w.get('unembed.W_U')!.data).toBe(ckpt.tensors.get('lm_head.weight')!.data);
    expect(w.get('blocks.0.ln2.w')!.data).toBe(
      ckpt.tensors.get('model.layers.0.post_attention_layernorm.weight')!.data,
    );
    expect(w.get('ln_final.w')!.data).toBe(ckpt.tensors.get('model.norm.weight')!.data);
    expect([...w.keys()].sort()).toEqual([...expectedWeights(spec).keys()].sort());
  });

  it('ignores lm_head when tied and never reads the rotary inv_freq buffers', () => {
    const tied = specFromHf({ ...base, tie_word_embeddings: true });
    const ckpt = checkpointOf(llamaShapes({ lmHead: true }));
    const w = toCanonical(tied, ckpt);
    expect(w.has('unembed.W_U')).toBe(false);
    expect(ckpt.reads.filter((n) => n === 'lm_head.weight' || n.endsWith('inv_freq'))).toEqual([]);
  });

  it('reads a bare LlamaModel save without the model. prefix', () => {
    const w = toCanonical(spec, checkpointOf(llamaShapes({ lmHead: true, prefix: '' })));
    expect(w.get('blocks.0.attn.W_K')!.shape).toEqual([8, 4]);
  });

  it('maps qwen2 q/k/v biases and reports them missing when absent', () => {
    const qwen = specFromHf({ ...base, model_type: 'qwen2' });
    const ckpt = checkpointOf(llamaShapes({ lmHead: true, biases: true }));
    const w = toCanonical(qwen, ckpt);
    expect(w.get('blocks.1.attn.b_K')!.data).toBe(
      ckpt.tensors.get('model.layers.1.self_attn.k_proj.bias')!.data,
    );
    expect(() => toCanonical(qwen, checkpointOf(llamaShapes({ lmHead: true })))).toThrow(/missing \(6\)/);
  });

  it('lists missing, unexpected and mismatched tensors together', () => {
    const shapes = llamaShapes({ biases: true });
    shapes['model.layers.0.self_attn.k_proj.weight'] = [8, 8]; // a checkpoint without GQA
    let error: unknown;
    try {
      toCanonical(spec, checkpointOf(shapes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShapeMismatchError);
    const msg = (error as Error).message;
    expect(msg).toContain('missing (1):\n    lm_head.weight (for unembed.W_U)');
    expect(msg).toContain('unexpected (6):');
    expect(msg).toContain('model.layers.1.self_attn.v_proj.bias');
    expect(msg).toContain(
      'wrong shape (1):\n    model.layers.0.self_attn.k_proj.weight is [8, 8], expected [4, 8]',
    );
  });
});

// An externally trained Llama checkpoint in HF layout (README: llama2.c's stories260K).
const STORIES = new URL('../../../../../shared/reference/stories260K/', import.meta.url);
const haveStories = existsSync(new URL('model.safetensors', STORIES));

/** Just enough safetensors (F32 only) to feed a real checkpoint to the converter. */
function readF32Safetensors(url: URL): CheckpointReader {
  const buf = readFileSync(url);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  delete header.__metadata__;
  return {
    names: Object.keys(header),
    read(name) {
      const {
        dtype,
        shape,
        data_offsets: [a, b],
      } = header[name]!;
      expect(dtype).toBe('F32');
      const bytes = buf.subarray(8 + n + a, 8 + n + b);
      return {
        shape,
        data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
      };
    },
  };
}

describe(
  haveStories ? 'stories260K' : 'stories260K (SKIPPED: ../shared/reference/stories260K is absent)',
  () => {
    it.skipIf(!haveStories)('converts the real checkpoint to every canonical tensor of its spec', () => {
      const spec = specFromHf(JSON.parse(readFileSync(new URL('config.json', STORIES), 'utf8')));
      expect(spec).toMatchObject({ nLayers: 5, dModel: 64, nHeads: 8, nKvHeads: 4, dHead: 8, dMlp: 172 });
      expect(spec).toMatchObject({ tiedEmbeddings: true, bosTokenId: 1, eosTokenIds: [2] });
      const ckpt = readF32Safetensors(new URL('model.safetensors', STORIES));
      const w = toCanonical(spec, ckpt);
      expect([...w.keys()].sort()).toEqual([...expectedWeights(spec).keys()].sort());
      let n = 0;
      for (const t of w.values()) n += t.data.length;
      expect(n).toBe(parameterCount(spec));
      expectTransposeOf(w.get('blocks.4.attn.W_K')!, ckpt.read('model.layers.4.self_attn.k_proj.weight'));
    });
  },
);

describe('Llama 3.2', () => {
  it('reads Llama-3.2-1B-Instruct: llama3 rope scaling, tied, three EOS ids, 1,235,814,400 parameters', () => {
    const spec = specFromHf(hubConfig('meta-llama--Llama-3.2-1B-Instruct'));
    expect(spec).toMatchObject({ nLayers: 16, dModel: 2048, nHeads: 32, nKvHeads: 8, dHead: 64 });
    expect(spec).toMatchObject({ tiedEmbeddings: true, eosTokenIds: [128001, 128008, 128009] });
    expect(spec.rotary?.scaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalContext: 8192,
    });
    expect(parameterCount(spec)).toBe(1_235_814_400);
  });
});
