/**
 * Steering the shipped organisms, measured through Rudder's engine with the same code
 * `npm run eval:steering` prints, held to issue 4's targets: METHODS.md §5 chooses a refusal
 * direction (one that passes every filter, below 0.8·L), ablating it stops refusal at a small KL,
 * adding it makes harmless requests refused, and a sentiment vector from at most 16 pairs turns
 * neutral stories either way.
 */
import { describe, expect, it } from 'vitest';
import { organismDirs } from '../../../src/cli/eval-organisms';
import { evaluateSteeringDir, STEERING_TARGETS } from '../../../src/cli/eval-steering';
import type { SteeringFigures } from '../../../src/interp/eval/steering-eval';
import { useBackend } from '../../support/backend';

for (const dir of organismDirs()) {
  const name = dir.split('/').pop()!;
  describe(`steering ${name}`, () => {
    let figures: SteeringFigures;
    const measured = async () => {
      if (!figures) {
        await useBackend('wasm');
        figures = await evaluateSteeringDir(dir);
      }
      return figures;
    };

    it('selects a refusal direction that removes refusal when ablated and causes it when added', async () => {
      const { refusal } = await measured();
      expect(refusal.candidates).toBeGreaterThan(0);
      expect(refusal.harmfulBaseline).toBeGreaterThanOrEqual(0.9);
      expect(refusal.fallback).toBe(false);
      expect(refusal.chosen?.dropped).toEqual([]);
      expect(refusal.harmfulAblated).toBeLessThanOrEqual(STEERING_TARGETS.harmfulAblated);
      expect(refusal.harmlessKlAblated).toBeLessThan(STEERING_TARGETS.harmlessKl);
      expect(refusal.harmlessAdded).toBeGreaterThanOrEqual(STEERING_TARGETS.harmlessAdded);
    });

    it('moves neutral stories towards the vector’s sentiment as the coefficient grows', async () => {
      const { sweep, sentimentPairs } = await measured();
      expect(sentimentPairs).toBeLessThanOrEqual(16);
      const at = (c: number) => sweep.filter((r) => r.coefficient === c);
      const best = (rows: typeof sweep, key: 'positive' | 'negative') => Math.max(...rows.map((r) => r[key]));
      expect(best(sweep, 'positive')).toBeGreaterThanOrEqual(STEERING_TARGETS.sentimentShare);
      expect(best(sweep, 'negative')).toBeGreaterThanOrEqual(STEERING_TARGETS.sentimentShare);
      // Steering up makes stories more positive than no steering at all.
      expect(best(at(8), 'positive')).toBeGreaterThan(best(at(0), 'positive'));
    });
  });
}
