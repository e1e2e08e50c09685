import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../../src/engine/node';
import { ExperimentSchema } from '../../../src/experiment';
import { continuationLoss, inNormUnits, typicalNorms } from '../../../src/interp/typical-norm';
import type { SteeringVector } from '../../../src/interp/vector';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

describe('norm units', () => {
  it('scale each layer so its largest row has that layer’s typical norm', () => {
    const v: SteeringVector = {
      modelId: 'm',
      hook: 'resid_pre',
      width: 2,
      rows: 1,
      layers: { 1: new Float32Array([3, 4]), 2: new Float32Array([0, 0]) },
    };
    const scaled = inNormUnits(v, [0, 10, 7]);
    expect(Array.from(scaled.layers[1]!)).toEqual([6, 8]);
    expect(Array.from(scaled.layers[2]!)).toEqual([0, 0]);
  });

  it('a link without a unit is an old raw-coefficient one', () => {
    expect(ExperimentSchema.parse({ version: 1, steering: { coefficient: 8 } }).steering.unit).toBe('raw');
    expect(ExperimentSchema.parse({ version: 1, steering: { unit: 'norm' } }).steering.unit).toBe('norm');
  });
});

describe('typical norms on organism-llama', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource('models/organism-llama'));
  }, 60_000);
  afterAll(() => model?.dispose());

  it('are the mean per-token norm after the first token, layer by layer', async () => {
    const text = 'Finn had an old bicycle and a friend named Chloe.';
    const norms = await expectNoLeaks(() => typicalNorms(model, [text], 'resid_pre'));
    expect(norms).toHaveLength(model.spec.nLayers);
    const ids = model.tokenizer!.encode(text);
    const r = model.run([ids], { cache: ['blocks.4.hook_resid_pre'], logits: 'none' });
    const rows = (await r.cache.get('blocks.4.hook_resid_pre')!.array()) as number[][][];
    r.cache.forEach((t) => t.dispose());
    const each = rows[0]!.slice(1).map((h) => Math.hypot(...h));
    expect(norms[4]).toBeCloseTo(each.reduce((a, b) => a + b, 0) / each.length, 3);
    // The residual stream grows through the model.
    expect(norms[7]!).toBeGreaterThan(norms[1]!);
  });

  it('score a continuation by the model’s own loss: its likely text beats a shuffled one', async () => {
    const tok = model.tokenizer!;
    const prompt = tok.encode('Once upon a time,');
    const good = tok.encode(' a little fox named Pip lived near the park.', { addSpecialTokens: false });
    const bad = [...good].reverse();
    const [a, b] = await expectNoLeaks(() =>
      continuationLoss(model, [
        { prompt, tokens: good },
        { prompt, tokens: bad },
      ]),
    );
    expect(a!).toBeLessThan(b!);
  });
});
