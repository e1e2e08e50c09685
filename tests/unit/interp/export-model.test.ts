import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCanonical } from '../../../src/engine/families';
import {
  dirSource,
  loadModel,
  type Model,
  parseSafetensors,
  toHfCheckpoint,
  writeSafetensors,
} from '../../../src/engine/node';
import { compile } from '../../../src/interp/compile';
import { exportModelFolder } from '../../../src/interp/export-model';
import { orthogonalizeWeights } from '../../../src/interp/orthogonalize';
import { applyWeightEdits, steer2editEdits, steer2editModel } from '../../../src/interp/steer2edit';
import { useBackend } from '../../support/backend';
import { type TempFolder, tempFolder } from '../../support/model-folder';
import { gpt2Spec, llamaSpec, randomWeights } from '../../support/random-model';
import { bitEqual, logits, maxAbsDiff, randomArray } from '../../support/steering';

/** Name → [dtype, shape] of a safetensors file. */
function layout(bytes: Uint8Array): Record<string, [string, readonly number[]]> {
  const f = parseSafetensors(bytes, 'x.safetensors');
  return Object.fromEntries(f.names.map((n) => [n, [f.info(n).dtype, f.info(n).shape]]));
}

describe('canonical weights back to Hugging Face names', () => {
  const specs = {
    gpt2: gpt2Spec(),
    'gpt2 untied': gpt2Spec({ tiedEmbeddings: false }),
    llama: llamaSpec(),
    qwen2: llamaSpec({ modelType: 'qwen2', qkvBias: true, tiedEmbeddings: true }),
  };
  for (const [label, spec] of Object.entries(specs)) {
    it(`are read back by the ${label} keymap bit for bit`, () => {
      const canonical = randomWeights(spec, 5);
      const hf = toHfCheckpoint(spec, canonical);
      const file = parseSafetensors(writeSafetensors(Object.fromEntries(hf)), 'model.safetensors');
      const back = toCanonical(spec, file);
      expect([...back.keys()].sort()).toEqual([...canonical.keys()].sort());
      for (const [k, t] of canonical) expect(bitEqual(back.get(k)!.data, t.data), k).toBe(true);
    });
  }
});

for (const name of ['organism-gpt2', 'organism-llama']) {
  describe(`exporting a patched ${name} as a model folder`, () => {
    let model: Model;
    let tokens: number[];
    const folders: TempFolder[] = [];
    const source = dirSource(`models/${name}`);
    const write = async (files: Map<string, Uint8Array | string>) => {
      const f = await tempFolder(Object.fromEntries(files));
      folders.push(f);
      return f.dir;
    };
    beforeAll(async () => {
      await useBackend('wasm');
      model = await loadModel(source);
      tokens = model.tokenizer!.encode('Once upon a time, a little fox named Pip');
    });
    afterAll(async () => {
      model.dispose();
      for (const f of folders) await f.remove();
    });

    it('writes the same tensor names, dtypes and shapes as the organism’s own HF checkpoint', async () => {
      const { files } = await exportModelFolder(source, model.spec, model.hostWeights());
      const own = layout(readFileSync(join('models', name, 'model.safetensors')));
      expect(layout(files.get('model.safetensors') as Uint8Array)).toEqual(own);
      expect(JSON.parse(files.get('config.json') as string)).toEqual(
        JSON.parse(readFileSync(join('models', name, 'config.json'), 'utf8')),
      );
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
        expect(files.get(f)).toBe(readFileSync(join('models', name, f), 'utf8'));
    });

    it('exports the orthogonalised weights as a folder whose logits equal the ablation hooks’', async () => {
      const r = randomArray(model.spec.dModel, 17);
      const { spec, weights } = orthogonalizeWeights(model.spec, model.hostWeights(), r);
      const dir = await write((await exportModelFolder(source, spec, weights, 'orthogonalised')).files);
      const exported = await loadModel(dirSource(dir));
      const v = {
        modelId: model.id,
        hook: 'resid_pre' as const,
        width: model.spec.dModel,
        rows: 1,
        layers: { 0: r },
      };
      const c = compile({ kind: 'ablate', vector: 'r' }, { model, vectors: { r: v } });
      const hooked = logits(model, tokens, c.hooks);
      c.dispose();
      const loaded = logits(exported, tokens);
      const base = logits(model, tokens);
      exported.dispose();
      hooked.forEach((row, t) => expect(maxAbsDiff(row, loaded[t]!)).toBeLessThan(2e-4));
      expect(Math.max(...base.map((row, t) => maxAbsDiff(row, hooked[t]!)))).toBeGreaterThan(1e-2);
      // A tied model comes back untied, its lm_head the original embedding.
      const file = parseSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
      expect(file.names.includes('lm_head.weight')).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).tie_word_embeddings).toBe(false);
    });

    it('exports Steer2Edit rank-1 edits as a folder that runs exactly like the edited model', async () => {
      const pairs = [
        { positive: 'It was a lovely day at the garden.', negative: 'It was a horrible day at the garden.' },
        {
          positive: 'Lucy was kind to her, and Ella felt loved.',
          negative: 'Lucy was rude to her, and Ella felt hurt.',
        },
      ];
      const edits = await steer2editEdits(model, { pairs, rhoAttn: 0.5, rhoMlp: 0.5, alpha: 0.5 });
      expect(edits.heads.length + edits.neurons.length).toBeGreaterThan(0);
      const weights = applyWeightEdits(model.spec, model.hostWeights(), edits);
      const dir = await write((await exportModelFolder(source, model.spec, weights, 'steer2edit')).files);
      const exported = await loadModel(dirSource(dir));
      const edited = steer2editModel(model, edits);
      const a = logits(exported, tokens);
      const b = logits(edited, tokens);
      exported.dispose();
      edited.dispose();
      a.forEach((row, t) => expect(bitEqual(row, b[t]!)).toBe(true));
    });
  });
}
