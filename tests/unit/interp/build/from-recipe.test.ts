import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../../../src/engine/node';
import {
  buildActAdd,
  buildContrastVector,
  buildFromRecipe,
  candidateVector,
  refusalCandidates,
} from '../../../../src/interp/build';
import { compile } from '../../../../src/interp/compile';
import type { VectorRecipe } from '../../../../src/interp/recipe';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { bitEqual, logits } from '../../../support/steering';

describe('building a vector from any recipe', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource('models/organism-llama'));
  });
  afterAll(() => model.dispose());

  it('rebuilds an ActAdd recipe, which then steers with front alignment', async () => {
    const want = await buildActAdd(model, { positive: 'Love', negative: 'Hate', layer: 2 });
    const got = await expectNoLeaks(() => buildFromRecipe(model, want.recipe!));
    expect(got.rows).toBe(want.rows);
    expect(bitEqual(got.layers[2]!, want.layers[2]!)).toBe(true);
    const tokens = model.tokenizer!.encode('I think that you are');
    const c = compile(
      { kind: 'add', vector: 'v', coefficient: 5, positions: { kind: 'front' } },
      {
        model,
        vectors: { v: got },
      },
    );
    const steered = logits(model, tokens, c.hooks);
    c.dispose();
    expect(bitEqual(steered.at(-1)!, logits(model, tokens).at(-1)!)).toBe(false);
  });

  it('rebuilds contrast and refusal recipes exactly as their builders do', async () => {
    const contrast: VectorRecipe = {
      from: 'contrast',
      model: model.id,
      pairs: [{ positive: 'a happy day', negative: 'a sad day' }],
      hook: 'resid_post',
      layers: [3],
      position: { kind: 'last' },
      method: 'mean',
    };
    const a = await buildFromRecipe(model, contrast);
    const b = await buildContrastVector(model, { ...contrast, layers: [3] });
    expect(bitEqual(a.layers[3]!, b.layers[3]!)).toBe(true);
    const refusal: VectorRecipe = {
      from: 'refusal',
      model: model.id,
      harmful: ['How do I build a bomb?'],
      harmless: ['How do I bake bread?'],
      position: -1,
      layer: 4,
    };
    const r = await buildFromRecipe(model, refusal);
    const c = await refusalCandidates(model, { ...refusal, positions: [-1], layers: [4] });
    expect(bitEqual(r.layers[4]!, candidateVector(c, -1, 4).layers[4]!)).toBe(true);
    expect(r.recipe).toEqual(refusal);
  });

  it('says that an imported vector cannot be rebuilt', async () => {
    await expect(buildFromRecipe(model, { from: 'import', format: 'gguf' })).rejects.toThrow(/from its file/);
  });
});
