/**
 * Steering the shipped organisms, measured through Rudder's engine with the same code
 * `npm run eval:steering` prints. Issue 4's targets are printed there; this test holds what the
 * organisms reach today (SENTIMENT_FLOORS) and that the refusal selection runs end to end.
 */
import { describe, expect, it } from 'vitest';
import { organismDirs } from '../../../src/cli/eval-organisms';
import { evaluateSteeringDir, SENTIMENT_FLOORS } from '../../../src/cli/eval-steering';
import type { SteeringFigures } from '../../../src/interp/steering-eval';
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

    it('scores every refusal candidate and drops each rejected one for a stated reason', async () => {
      const { refusal } = await measured();
      expect(refusal.candidates).toBeGreaterThan(0);
      expect(refusal.harmfulBaseline).toBeGreaterThanOrEqual(0.9);
      if (refusal.chosen) expect(Number.isFinite(refusal.chosen.bypass)).toBe(true);
      else expect(refusal.kept).toBe(0);
    });

    it('moves neutral stories towards the vector’s sentiment as the coefficient grows', async () => {
      const { sweep, sentimentPairs } = await measured();
      const floor = SENTIMENT_FLOORS[name]!;
      expect(sentimentPairs).toBeLessThanOrEqual(16);
      const at = (c: number) => sweep.filter((r) => r.coefficient === c);
      const best = (rows: typeof sweep, key: 'positive' | 'negative') => Math.max(...rows.map((r) => r[key]));
      expect(best(sweep, 'positive')).toBeGreaterThanOrEqual(floor.positive);
      expect(best(sweep, 'negative')).toBeGreaterThanOrEqual(floor.negative);
      // Steering up makes stories more positive than no steering at all.
      expect(best(at(8), 'positive')).toBeGreaterThan(best(at(0), 'positive'));
    });
  });
}
