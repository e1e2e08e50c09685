/**
 * The shipped model organisms behave as their model cards say, measured through Rudder's engine
 * (issue 3): a retrained organism cannot silently regress. Targets an organism does not reach yet
 * are held at the figure it reaches (KNOWN_SHORTFALLS), never skipped.
 */
import { describe, expect, it } from 'vitest';
import { evaluateDir, KNOWN_SHORTFALLS, organismDirs, TARGETS } from '../../../src/cli/eval-organisms';
import type { OrganismFigures } from '../../../src/interp/organism-eval';
import { useBackend } from '../../support/backend';

const dirs = organismDirs();

describe('model organisms', () => {
  it('ships both organisms', () => {
    expect(dirs.map((d) => d.split('/').pop())).toEqual(['organism-gpt2', 'organism-llama']);
  });

  for (const dir of dirs) {
    const name = dir.split('/').pop()!;
    const shortfall = KNOWN_SHORTFALLS[name] ?? {};
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
        expect(f.harmfulRefusal).toBeGreaterThanOrEqual(TARGETS.harmfulRefusal);
        expect(f.harmlessRefusal).toBeLessThanOrEqual(TARGETS.harmlessRefusal);
      });

      it('solves every few-shot task from four examples', async () => {
        const f = await measured();
        expect(Object.keys(f.fewShot).length).toBeGreaterThanOrEqual(3);
        for (const [task, acc] of Object.entries(f.fewShot))
          expect(acc, task).toBeGreaterThanOrEqual(shortfall.fewShot?.[task] ?? TARGETS.fewShot);
      });

      it('has a refusal direction and a sentiment direction that separate held-out prompts', async () => {
        const f = await measured();
        const best = (xs: readonly { auc: number }[]) => Math.max(...xs.slice(1).map((x) => x.auc));
        expect(best(f.refusalAuc)).toBeGreaterThanOrEqual(TARGETS.directionAuc);
        expect(best(f.sentimentAuc)).toBeGreaterThanOrEqual(shortfall.sentimentAuc ?? TARGETS.directionAuc);
      });
    });
  }
});
