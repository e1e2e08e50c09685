/**
 * The shipped model organisms behave as their model cards say, measured through Rudder's engine
 * (issue 3): a retrained organism cannot silently regress below issue 3's targets.
 */
import { describe, expect, it } from 'vitest';
import { bestMiddleLayer, evaluateDir, organismDirs, TARGETS } from '../../../src/cli/eval-organisms';
import type { OrganismFigures } from '../../../src/interp/eval/organism-eval';
import { useBackend } from '../../support/backend';

const dirs = organismDirs();

describe('model organisms', () => {
  it('ships both organisms', () => {
    expect(dirs.map((d) => d.split('/').pop())).toEqual(['organism-gpt2', 'organism-llama']);
  });

  for (const dir of dirs) {
    const name = dir.split('/').pop()!;
    describe(name, () => {
      let figures: OrganismFigures;
      const measured = async () => {
        if (!figures) {
          await useBackend('wasm');
          figures = await evaluateDir(dir);
        }
        return figures;
      };

      it('refuses held-out harmful requests and answers held-out harmless ones', async () => {
        const f = await measured();
        expect(f.templates.harmfulRefusal).toBeGreaterThanOrEqual(TARGETS.harmfulRefusal);
        expect(f.templates.harmlessRefusal).toBeLessThanOrEqual(TARGETS.harmlessRefusal);
      });

      it('solves every few-shot task from four examples', async () => {
        const f = await measured();
        expect(Object.keys(f.fewShot).length).toBeGreaterThanOrEqual(3);
        for (const [task, acc] of Object.entries(f.fewShot))
          expect(acc, task).toBeGreaterThanOrEqual(TARGETS.fewShot);
      });

      it('has a refusal direction and a sentiment direction at a middle layer that separate held-out text', async () => {
        const f = await measured();
        expect(bestMiddleLayer(f.refusalAuc).auc).toBeGreaterThanOrEqual(TARGETS.directionAuc);
        expect(bestMiddleLayer(f.sentimentAuc).auc).toBeGreaterThanOrEqual(TARGETS.directionAuc);
      });

      it('predicts held-out corpus text far better than chance', async () => {
        const f = await measured();
        // Uniform guessing over the vocabulary costs ln(vocab) ≈ 8 nats; the cards report about 1.1.
        expect(f.validationLoss).toBeDefined();
        expect(f.validationLoss!).toBeLessThan(1.5);
      });
    });
  }
});
