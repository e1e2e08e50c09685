import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, hookName, type Model, RudderError } from '../../../../src/engine';
import { buildContrastVector } from '../../../../src/interp/build/contrast';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { llamaSpec, randomModel } from '../../../support/random-model';
import { maxAbsDiff } from '../../../support/steering';

const PAIRS = [
  { positive: [1, 5, 9, 4], negative: [1, 5, 9, 7] },
  { positive: [1, 8, 3], negative: [1, 8, 6] },
  { positive: [1, 2, 2, 2, 10], negative: [1, 2, 2, 2, 11] },
];

describe('buildContrastVector', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(llamaSpec({ nLayers: 3 }), 4);
  });
  afterAll(() => model.dispose());

  /** The activation at the last token of a prompt run alone. */
  function last(tokens: number[], layer: number): Float32Array {
    const name = hookName('resid_post', layer);
    const r = model.run(tokens, { cache: [name], logits: 'none' });
    const t = r.cache.get(name)!.dataSync() as Float32Array;
    disposeResult(r);
    return t.slice(t.length - model.spec.dModel);
  }

  it('mean difference equals the mean of (a+ − a−) read prompt by prompt', async () => {
    const v = await expectNoLeaks(() =>
      buildContrastVector(model, {
        pairs: PAIRS,
        hook: 'resid_post',
        layers: [0, 2],
        position: { kind: 'last' },
        method: 'mean',
        batchSize: 2,
      }),
    );
    expect(Object.keys(v.layers)).toEqual(['0', '2']);
    for (const l of [0, 2]) {
      const d = model.spec.dModel;
      const want = new Float32Array(d);
      for (const p of PAIRS) {
        const a = last(p.positive, l);
        const b = last(p.negative, l);
        for (let j = 0; j < d; j++) want[j]! += (a[j]! - b[j]!) / PAIRS.length;
      }
      expect(maxAbsDiff(v.layers[l]!, want)).toBeLessThan(1e-4);
    }
  });

  it('carries its recipe and the model it was read from', async () => {
    const v = await buildContrastVector(model, {
      pairs: PAIRS,
      hook: 'attn_out',
      layers: 'all',
      position: { kind: 'index', index: -1 },
      method: 'pca_center',
    });
    expect(v.modelId).toBe(model.id);
    expect(v.width).toBe(model.spec.dModel);
    expect(v.recipe).toEqual({
      from: 'contrast',
      model: model.id,
      pairs: PAIRS,
      hook: 'attn_out',
      layers: [0, 1, 2],
      position: { kind: 'index', index: -1 },
      method: 'pca_center',
    });
    for (const l of [0, 1, 2]) expect(Math.hypot(...v.layers[l]!)).toBeCloseTo(1, 5);
  });

  it('refuses text pairs on a model without a tokenizer, and layers it does not have', async () => {
    const base = { hook: 'resid_pre', position: { kind: 'last' }, method: 'mean' } as const;
    await expect(
      buildContrastVector(model, { ...base, pairs: [{ positive: 'a', negative: 'b' }], layers: [0] }),
    ).rejects.toThrow(/no tokenizer/);
    await expect(buildContrastVector(model, { ...base, pairs: PAIRS, layers: [3] })).rejects.toThrow(
      RudderError,
    );
  });
});
