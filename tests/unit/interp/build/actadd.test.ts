import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../../src/engine';
import { buildActAdd } from '../../../../src/interp/build/actadd';
import { compile } from '../../../../src/interp/compile';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { gpt2Spec, randomModel } from '../../../support/random-model';
import { bitEqual, logits } from '../../../support/steering';

const BOS = 0;

describe('buildActAdd', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(gpt2Spec({ nLayers: 3 }), 6);
  });
  afterAll(() => model.dispose());

  it('has a BOS row of exactly zero and one row per position of the longer prompt', async () => {
    const v = await expectNoLeaks(() =>
      buildActAdd(model, { positive: [BOS, 7, 8, 9], negative: [BOS, 4], layer: 1, padToken: 3 }),
    );
    const d = model.spec.dModel;
    expect(v.rows).toBe(4);
    expect(v.layers[1]!.subarray(0, d).every((x) => Object.is(x, 0))).toBe(true);
    expect(v.layers[1]!.subarray(d, 2 * d).some((x) => x !== 0)).toBe(true);
  });

  for (const [label, pos, coefficient] of [
    ['p+ = p−', [BOS, 4, 5], 5],
    ['c = 0', [BOS, 9, 9], 0],
  ] as const) {
    it(`leaves logits unchanged when ${label}`, async () => {
      const v = await buildActAdd(model, { positive: [...pos], negative: [BOS, 4, 5], layer: 2 });
      const prompt = [BOS, 11, 12, 13, 14];
      const base = logits(model, prompt);
      const c = compile(
        { kind: 'add', vector: 'a', coefficient, positions: { kind: 'front' } },
        { model, vectors: { a: v } },
      );
      const out = logits(model, prompt, c.hooks);
      c.dispose();
      out.forEach((row, t) => expect(bitEqual(row, base[t]!)).toBe(true));
    });
  }
});
