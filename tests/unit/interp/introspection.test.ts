import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../../src/engine/node';
import { buildContrastVector } from '../../../src/interp/build';
import { readOrganismData } from '../../../src/interp/eval/organism-data';
import { introspectionProbe } from '../../../src/interp/introspection';
import type { SteeringVector } from '../../../src/interp/vector';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

for (const name of ['organism-gpt2', 'organism-llama']) {
  describe(`introspection probe on ${name} (METHODS.md §18)`, () => {
    let model: Model;
    let concept: SteeringVector;
    beforeAll(async () => {
      await useBackend('wasm');
      const source = dirSource(`models/${name}`);
      model = await loadModel(source);
      const data = await readOrganismData(source);
      concept = await buildContrastVector(model, {
        pairs: data.sentimentPairs.slice(0, 16).map((p) => ({ positive: p.positive, negative: p.negative })),
        hook: 'resid_post',
        layers: [Math.floor(model.spec.nLayers / 2)],
        position: { kind: 'mean' },
        method: 'mean',
      });
    });
    afterAll(() => model.dispose());

    it('compares the concept with no injection and with random vectors of its norm', async () => {
      const r = await expectNoLeaks(() =>
        introspectionProbe(model, {
          vector: concept,
          coefficients: [0, 4],
          randomVectors: 2,
          replyTokens: 4,
        }),
      );
      expect(r.layer).toBe(Math.floor(model.spec.nLayers / 2));
      expect(r.yesTokens.length).toBeGreaterThan(0);
      expect(r.noTokens.some((t) => r.yesTokens.includes(t))).toBe(false);
      // Strength 0 compiles to no hook: the same numbers as no injection, concept and random alike.
      for (const row of [r.concept[0]!, r.random[0]!]) {
        expect(row.pYes).toBe(r.none.pYes);
        expect(row.pNo).toBe(r.none.pNo);
      }
      for (const row of [r.none, ...r.concept, ...r.random]) {
        expect(row.pYes).toBeGreaterThanOrEqual(0);
        expect(row.pYes + row.pNo).toBeLessThanOrEqual(1);
      }
      // At strength 4 the injection changes the answer's distribution (whether or not it says yes).
      expect(r.concept[1]!.pYes).not.toBe(r.none.pYes);
      expect(r.none.reply.length).toBeGreaterThan(0);
    });
  });
}
