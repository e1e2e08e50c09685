/**
 * Steering the shipped organisms does what the papers say it does (issue 4's targets), measured
 * through Rudder's engine with the same code `npm run eval:steering` prints.
 */
import { describe, expect, it } from 'vitest';
import { organismDirs } from '../../../src/cli/eval-organisms';
import { evaluateSteeringDir, STEERING_TARGETS } from '../../../src/cli/eval-steering';
import type { SteeringFigures } from '../../../src/interp/steering-eval';
import { useBackend } from '../../support/backend';

for (const dir of organismDirs()) {
  describe(`steering ${dir.split('/').pop()}`, () => {
    let figures: SteeringFigures;
    const measured = async () => {
      if (!figures) {
        await useBackend('wasm');
        figures = await evaluateSteeringDir(dir);
      }
      return figures;
    };

    it('selects a refusal direction whose ablation removes refusal and whose addition induces it', async () => {
      const { refusal } = await measured();
      expect(refusal.chosen).toBeDefined();
      expect(refusal.harmfulAblated).toBeLessThanOrEqual(STEERING_TARGETS.harmfulAblated);
      expect(refusal.harmlessKlAblated).toBeLessThan(STEERING_TARGETS.harmlessKl);
      expect(refusal.harmlessAdded).toBeGreaterThanOrEqual(STEERING_TARGETS.harmlessAdded);
    });

    it('turns neutral stories positive and negative with a vector from 16 pairs', async () => {
      const { sweep, sentimentPairs } = await measured();
      expect(sentimentPairs).toBeLessThanOrEqual(16);
      expect(Math.max(...sweep.map((r) => r.positive))).toBeGreaterThanOrEqual(
        STEERING_TARGETS.sentimentShare,
      );
      expect(Math.max(...sweep.map((r) => r.negative))).toBeGreaterThanOrEqual(
        STEERING_TARGETS.sentimentShare,
      );
    });
  });
}
