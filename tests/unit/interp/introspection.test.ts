import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../../src/engine/node';
import { buildContrastVector } from '../../../src/interp/build';
import { readOrganismData } from '../../../src/interp/eval/organism-data';
import {
  conceptNaming,
  INTROSPECTION_QUESTIONS,
  introspectionProbe,
  namesConcept,
} from '../../../src/interp/introspection';
import type { SteeringVector } from '../../../src/interp/vector';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

describe('naming a concept', () => {
  it('finds whole words in any case, and not inside other words', () => {
    expect(namesConcept('Happy day!', ['happy'])).toBe(true);
    expect(namesConcept('she was glad.', ['happy', 'glad'])).toBe(true);
    expect(namesConcept('an unhappy cat', ['happy'])).toBe(false);
    expect(namesConcept('happyish', ['happy'])).toBe(false);
  });
});

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

    it('counts replies that name the concept: none, the concept, random vectors, over questions × seeds', async () => {
      const words = { positive: ['happy', 'glad', 'wonderful', 'great'], negative: ['sad', 'angry'] };
      const rows = await expectNoLeaks(() =>
        conceptNaming(model, {
          vector: concept,
          questions: INTROSPECTION_QUESTIONS.slice(0, 2),
          coefficients: [0, -16],
          words,
          seeds: 2,
          randomVectors: 1,
          maxTokens: 8,
          ignore: ['Happy to help'],
        }),
      );
      expect(rows.map((r) => r.side)).toEqual(['positive', 'negative']);
      for (const r of rows) {
        expect([r.none.n, r.concept.n, r.random.n]).toEqual([4, 4, 4]);
        for (const c of [r.none, r.concept, r.random]) {
          expect(c.named).toBe(c.namedReplies.length);
          expect(c.examples).toHaveLength(2);
          for (const t of c.namedReplies)
            expect(namesConcept(t.replace(/Happy to help/gi, ' '), words[r.side])).toBe(true);
        }
      }
      // Strength 0 compiles to no hook: the same replies as no injection.
      expect(rows[0]!.concept).toEqual(rows[0]!.none);
      // At −16 the injection changes what the organism says.
      expect(rows[1]!.concept.examples).not.toEqual(rows[1]!.none.examples);
    });
  });
}
