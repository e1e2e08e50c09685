import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../src/engine';
import { Model } from '../../../src/engine';
import { compile } from '../../../src/interp/compile';
import { orthogonalizeModel, orthogonalizeWeights } from '../../../src/interp/orthogonalize';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomWeights } from '../../support/random-model';
import { bitEqual, logits, maxAbsDiff, randomArray } from '../../support/steering';

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8, 40, 2];

const SPECS: Record<string, ModelSpec> = {
  'GPT-2 (biases, learned positions, tied unembedding)': gpt2Spec({ nLayers: 3 }),
  'Llama (RMSNorm, rotary, GQA)': llamaSpec({ nLayers: 3 }),
};

describe('weight orthogonalisation', () => {
  for (const [label, spec] of Object.entries(SPECS)) {
    it(`gives the same logits as the ablation hooks on ${label}`, async () => {
      await useBackend('wasm');
      const host = randomWeights(spec, 11);
      const model = Model.fromHost('m', spec, host);
      const r = randomArray(spec.dModel, 21);
      const vector = {
        modelId: 'm',
        hook: 'resid_pre' as const,
        width: spec.dModel,
        rows: 1,
        layers: { 1: r },
      };
      const c = compile({ kind: 'ablate', vector: 'r' }, { model, vectors: { r: vector } });
      const hooked = logits(model, PROMPT, c.hooks);
      c.dispose();
      const weighted = await expectNoLeaks(() => {
        const ortho = orthogonalizeModel(model, r);
        const out = logits(ortho, PROMPT);
        ortho.dispose();
        return out;
      });
      const base = logits(model, PROMPT);
      hooked.forEach((row, t) => expect(maxAbsDiff(row, weighted[t]!)).toBeLessThan(2e-4));
      // The ablation does something: otherwise equality would prove nothing.
      expect(Math.max(...base.map((row, t) => maxAbsDiff(row, hooked[t]!)))).toBeGreaterThan(1e-2);
      model.dispose();
    });
  }

  it('never modifies the weights it is given, and unties a tied unembedding', () => {
    const spec = gpt2Spec();
    const host = randomWeights(spec, 3);
    const before = new Map([...host].map(([k, t]) => [k, Float32Array.from(t.data)]));
    const out = orthogonalizeWeights(spec, host, randomArray(spec.dModel, 5));
    for (const [k, t] of host) expect(bitEqual(t.data, before.get(k)!)).toBe(true);
    expect(out.spec.tiedEmbeddings).toBe(false);
    expect(bitEqual(out.weights.get('unembed.W_U')!.data, before.get('embed.W_E')!)).toBe(true);
    expect(bitEqual(out.weights.get('embed.W_E')!.data, before.get('embed.W_E')!)).toBe(false);
  });

  for (const [label, spec] of Object.entries(SPECS)) {
    it(`reads back exactly the canonical weights a model was made from (${label})`, async () => {
      await useBackend('wasm');
      const host = randomWeights(spec, 8);
      const model = Model.fromHost('m', spec, host);
      const back = await expectNoLeaks(() => model.hostWeights());
      model.dispose();
      expect([...back.keys()].sort()).toEqual([...host.keys()].sort());
      for (const [k, t] of host) {
        expect(back.get(k)!.shape, k).toEqual(t.shape);
        expect(bitEqual(back.get(k)!.data, t.data), k).toBe(true);
      }
    });
  }
});
