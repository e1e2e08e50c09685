/**
 * Checkpoints written by PyTorch (training/reference.py, through training/safetensors_io.py) and
 * one written outside this project (stories260K). The F16/BF16 fixtures hold the F32 fixtures'
 * weights rounded by PyTorch (`.half()`, `.bfloat16()`), and the sharded one the same weights
 * as llama-gqa: so decoded values can be checked exactly, not just for plausibility.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { encodeF16, f16BitsToF32 } from '../../../../src/engine/weights/dtype';
import { dirSource } from '../../../../src/engine/weights/node-source';
import type { Progress } from '../../../../src/engine/weights/source';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const REF = here('../../../fixtures/reference');
const STORIES = here('../../../../../shared/reference/stories260K');

const load = (name: string) => readCheckpoint(dirSource(`${REF}/${name}`));

/** float32 → bfloat16 → float32 with round-to-nearest-even, as torch's `.bfloat16()` does. */
function roundBF16(values: Float32Array): Float32Array {
  const out = Float32Array.from(values);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    bits[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16;
  }
  return out;
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('PyTorch-written reference checkpoints', () => {
  it('reads the F32 GPT-2 fixture: every tensor finite, shapes from its config', async () => {
    const ckpt = await load('gpt2-tiny');
    expect(ckpt.names).toContain('transformer.wte.weight');
    expect(ckpt.info('transformer.wte.weight')).toEqual({ dtype: 'F32', shape: [300, 48] });
    expect(ckpt.info('transformer.wpe.weight').shape).toEqual([64, 48]);
    for (const name of ckpt.names) expect(ckpt.read(name).data.every(Number.isFinite)).toBe(true);
  });

  it('decodes the F16 fixture to exactly the F32 weights rounded to half precision', async () => {
    const [f32, f16] = await Promise.all([load('gpt2-tiny'), load('gpt2-tiny-f16')]);
    expect([...f16.names].sort()).toEqual([...f32.names].sort());
    for (const name of f32.names) {
      expect(f16.info(name)).toEqual({ dtype: 'F16', shape: f32.info(name).shape });
      const expected = f16BitsToF32(encodeF16(f32.read(name).data));
      expect(sameBits(f16.read(name).data, expected), name).toBe(true);
    }
  });

  it('decodes the BF16 fixture to exactly the F32 weights rounded to bfloat16', async () => {
    const [f32, bf16] = await Promise.all([load('llama-gqa'), load('llama-gqa-bf16')]);
    expect([...bf16.names].sort()).toEqual([...f32.names].sort());
    for (const name of f32.names) {
      expect(bf16.info(name).dtype).toBe('BF16');
      expect(sameBits(bf16.read(name).data, roundBF16(f32.read(name).data)), name).toBe(true);
    }
  });

  it('reads the sharded fixture through its index to the same tensors as the single file', async () => {
    const events: Progress[] = [];
    const [one, many] = await Promise.all([
      load('llama-gqa'),
      readCheckpoint(dirSource(`${REF}/llama-gqa-sharded`), (p) => events.push(p)),
    ]);
    expect(many.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect([...many.names].sort()).toEqual([...one.names].sort());
    for (const name of one.names) {
      expect(many.info(name)).toEqual(one.info(name));
      expect(sameBits(many.read(name).data, one.read(name).data), name).toBe(true);
    }
    expect(events.filter((e) => e.loaded === e.total).map((e) => e.file)).toEqual(many.files);
  });
});

describe.skipIf(!existsSync(STORIES))('stories260K (externally written checkpoint)', () => {
  it('reads all 48 tensors with the shapes its config implies and known values', async () => {
    const ckpt = await readCheckpoint(dirSource(STORIES));
    expect(ckpt.names.length).toBe(48); // embed, lm_head, final norm, 9 per layer x 5
    expect(ckpt.metadata).toEqual({});
    expect(ckpt.info('model.embed_tokens.weight')).toEqual({ dtype: 'F32', shape: [512, 64] });
    expect(ckpt.info('model.layers.4.self_attn.k_proj.weight').shape).toEqual([32, 64]); // 4 kv heads of 8
    expect([...ckpt.read('model.norm.weight').data.subarray(0, 2)]).toEqual([
      2.4583089351654053, 1.3673226833343506,
    ]);
    const k = ckpt.read('model.layers.4.self_attn.k_proj.weight').data;
    expect(k.reduce((s, x) => s + Math.abs(x), 0)).toBeCloseTo(216.01142, 3);
    expect(sameBits(ckpt.read('lm_head.weight').data, ckpt.read('model.embed_tokens.weight').data)).toBe(
      true,
    );
  });
});

if (!existsSync(STORIES)) {
  it.skip(`stories260K skipped: ${STORIES} is absent (it exists only beside the Rudder repo as ../shared)`);
}
