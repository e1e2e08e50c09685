/**
 * 1,000 config.json files mutated from real ones, each loaded as a whole model folder (the real
 * weights, tokenizer and memory check beside it): every one must load and run, or end in a
 * RudderError that names the file, within 2 s and without a huge allocation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { type BackendLimits, disposeResult, loadModel } from '../../../../src/engine';
import { filesSource } from '../../../../src/engine/weights/source';
import { useBackend } from '../../../support/backend';
import { FuzzTally, int, jsonText, mutateJson, mutateText, pick, rng } from '../../../support/fuzz';
import { REPO_ROOT, referenceFolder } from '../../../support/golden';

/**
 * Model folders with weights, one of each family and config shape (config mutations reach the
 * checkpoint conversion and the run): rope_scaling llama3 with biases, sliding windows (Mistral's, Qwen2's), Gemma 2's
 * soft-caps and query_pre_attn_scalar, GPT-NeoX's partial rotary, Phi-3's fused projections.
 */
const FOLDERS = [
  'gpt2-tiny',
  'qwen2-tiny',
  'llama-gqa',
  'llama3-rope-bias',
  'mistral-window',
  'qwen2-window',
  'gemma-tiny',
  'gemma2-tiny',
  'pythia-tiny',
  'phi3-tiny',
];
/** Real Hub configs without weights (mutations reach the spec and the memory check). */
const HUB = join(REPO_ROOT, 'tests/fixtures/configs');
const WASM: BackendLimits = { backend: 'wasm', maxTotalBytes: 2 ** 31, maxTensorBytes: 2 ** 31 };

interface Base {
  readonly name: string;
  readonly config: unknown;
  readonly files: readonly File[];
}

describe('config.json under fuzzing', () => {
  const bases: Base[] = [];
  beforeAll(async () => {
    await useBackend('wasm');
    bases.push(...FOLDERS.map((name) => ({ name, ...referenceFolder(name) })));
    for (const f of readdirSync(HUB).filter((f) => f.endsWith('.json')))
      bases.push({ name: f, config: JSON.parse(readFileSync(join(HUB, f), 'utf8')), files: [] });
  });

  it('loads or refuses 1,000 mutated configs with a message naming the file', async () => {
    const r = rng(17_001);
    const tally = new FuzzTally('config.json', (e) =>
      /config\.json|model\.safetensors|files:/.test(e.message),
    );
    for (let i = 0; i < 1000; i++) {
      const base = pick(r, bases);
      let config = base.config;
      for (let k = 1 + int(r, 3); k > 0; k--) config = mutateJson(r, config);
      let text = jsonText(config);
      if (r() < 0.25) text = mutateText(r, text);
      const files = [new File([text], `${base.name}/config.json`), ...base.files];
      await tally.run(
        () => `${base.name}: ${text}`,
        async () => {
          const model = await loadModel(filesSource(files), { limits: WASM, contextTokens: 64 });
          try {
            // An accepted config must give a model that runs (as far as its context allows) to
            // finite logits: a value the bounds let through must not overflow float32.
            const result = model.run([[1, 2, 3].slice(0, model.spec.nCtx)], { logits: 'last' });
            const logits = result.logits!.dataSync();
            disposeResult(result);
            if (!logits.every(Number.isFinite)) throw new Error('the model computes non-finite logits');
          } finally {
            model.dispose();
          }
        },
      );
    }
    tally.report();
  });
});
