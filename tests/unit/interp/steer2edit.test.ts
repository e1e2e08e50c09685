import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../src/engine';
import {
  applyWeightEdits,
  elasticNetLambda,
  steer2editEdits,
  steer2editModel,
} from '../../../src/interp/steer2edit';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, randomModel } from '../../support/random-model';
import { bitEqual, logits, maxAbsDiff } from '../../support/steering';

const PAIRS = [
  { positive: [1, 5, 9, 4], negative: [1, 5, 9, 7] },
  { positive: [1, 8, 3], negative: [1, 8, 6] },
  { positive: [2, 2, 10], negative: [2, 2, 11] },
];

describe('Steer2Edit', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(gpt2Spec({ nLayers: 2 }), 12);
  });
  afterAll(() => model.dispose());

  it('λ is zero exactly when |g| ≤ ρα, and signed like g beyond', () => {
    expect(elasticNetLambda(0.3, 0.4, 0.75)).toBe(0);
    expect(elasticNetLambda(-0.3, 0.4, 0.75)).toBe(0);
    expect(elasticNetLambda(0.5, 0.4, 0.75)).toBeCloseTo(0.2 / 0.1, 10);
    expect(elasticNetLambda(-0.5, 0.4, 0.75)).toBeCloseTo(-2, 10);
    expect(elasticNetLambda(0.9, 0, 0.5)).toBe(0);
  });

  it('edits only the heads and neurons with |g| > ρα, and leaves every other weight bit-identical', async () => {
    const rho = 0.5;
    const alpha = 0.5;
    const edits = await expectNoLeaks(() =>
      steer2editEdits(model, { pairs: PAIRS, rhoAttn: rho, rhoMlp: rho, alpha }),
    );
    for (const e of [...edits.heads, ...edits.neurons]) expect(Math.abs(e.g)).toBeGreaterThan(rho * alpha);
    expect(edits.heads.length + edits.neurons.length).toBeGreaterThan(0);
    const host = model.hostWeights();
    const edited = applyWeightEdits(model.spec, host, edits);
    const d = model.spec.dModel;
    const D = model.spec.dHead;
    for (const l of [0, 1]) {
      const before = host.get(`blocks.${l}.attn.W_O`)!.data;
      const after = edited.get(`blocks.${l}.attn.W_O`)!.data;
      for (let h = 0; h < model.spec.nHeads; h++) {
        const rows = (w: Float32Array) => w.subarray(h * D * d, (h + 1) * D * d);
        const touched = edits.heads.some((e) => e.layer === l && e.head === h);
        expect(bitEqual(rows(before), rows(after)), `layer ${l} head ${h}`).toBe(!touched);
      }
      const wb = host.get(`blocks.${l}.mlp.W_out`)!.data;
      const wa = edited.get(`blocks.${l}.mlp.W_out`)!.data;
      for (let i = 0; i < model.spec.dMlp; i++) {
        const touched = edits.neurons.some((e) => e.layer === l && e.neuron === i);
        expect(bitEqual(wb.subarray(i * d, (i + 1) * d), wa.subarray(i * d, (i + 1) * d))).toBe(!touched);
      }
    }
    // Inputs are never modified.
    expect(
      bitEqual(host.get('blocks.0.attn.W_O')!.data, model.hostWeights().get('blocks.0.attn.W_O')!.data),
    ).toBe(true);
  });

  it('a head edit moves the head output along v̂ by λ·(k̂·z)', async () => {
    const edits = await steer2editEdits(model, { pairs: PAIRS, rhoAttn: 0.2, rhoMlp: 0, alpha: 0.5 });
    expect(edits.neurons).toHaveLength(0);
    const e = edits.heads[0]!;
    const host = model.hostWeights();
    const W0 = host.get(`blocks.${e.layer}.attn.W_O`)!.data;
    const W1 = applyWeightEdits(model.spec, host, edits).get(`blocks.${e.layer}.attn.W_O`)!.data;
    const d = model.spec.dModel;
    const D = model.spec.dHead;
    const z = Float32Array.from({ length: D }, (_, i) => i - 1.5);
    const out = (W: Float32Array) =>
      Float32Array.from({ length: d }, (_, j) =>
        z.reduce((s, zi, i) => s + zi * W[(e.head * D + i) * d + j]!, 0),
      );
    const kz = z.reduce((s, zi, i) => s + zi * e.k[i]!, 0);
    const v = edits.vAttn[e.layer]!;
    const delta = out(W1).map((x, j) => x - out(W0)[j]!);
    expect(
      maxAbsDiff(
        delta,
        v.map((x) => e.lambda * kz * x),
      ),
    ).toBeLessThan(1e-4);
  });

  it('builds an edited model whose logits move, without touching the original', async () => {
    const base = logits(model, [1, 5, 9]);
    const edits = await steer2editEdits(model, { pairs: PAIRS, rhoAttn: 0.1, rhoMlp: 0.1, alpha: 0.5 });
    const edited = steer2editModel(model, edits, 4);
    const moved = logits(edited, [1, 5, 9]);
    edited.dispose();
    expect(Math.max(...moved.map((r, t) => maxAbsDiff(r, base[t]!)))).toBeGreaterThan(1e-3);
    logits(model, [1, 5, 9]).forEach((r, t) => expect(bitEqual(r, base[t]!)).toBe(true));
  });
});
