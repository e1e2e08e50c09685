/**
 * The presets on the shipped organisms (issue 15, METHODS.md §19), measured with the code
 * `npm run eval:steering -- --presets` prints: every preset is tuned for every shipped organism,
 * and at its default strength it shows its behaviour on most continuations, far more often than
 * the unsteered model, with the steered text inside the fluent bound (perplexity ×2): the
 * issue's 80%.
 */
import { describe, expect, it } from 'vitest';
import { organismDirs, withOrganism } from '../../../src/cli/eval-organisms';
import { evaluatePresets, type PresetFigure } from '../../../src/cli/eval-presets';
import { PRESETS } from '../../../src/experiment';
import { useBackend } from '../../support/backend';

for (const dir of organismDirs()) {
  const name = dir.split('/').pop()!;
  describe(`presets on ${name}`, () => {
    let figures: PresetFigure[];
    const measured = async () => {
      if (!figures) {
        await useBackend('wasm');
        figures = await withOrganism(dir, (model, data) => evaluatePresets(dir, model, data));
      }
      return figures;
    };

    it('tunes every preset for this organism', () => {
      expect(PRESETS.filter((p) => !p.tuned?.[name]).map((p) => p.id)).toEqual([]);
    });

    it('shows each preset’s behaviour at its default strength, fluently', async () => {
      const got = await measured();
      expect(got.map((f) => f.preset)).toEqual(PRESETS.map((p) => p.id));
      for (const f of got) {
        const what = `${f.preset}: ${(100 * f.share).toFixed(1)}% (unsteered ${(100 * f.baseline).toFixed(1)}%), ×${f.perplexityRatio.toFixed(2)}`;
        expect(f.share, what).toBeGreaterThanOrEqual(0.8);
        expect(f.share - f.baseline, what).toBeGreaterThanOrEqual(0.3);
        expect(f.perplexityRatio, what).toBeLessThanOrEqual(2);
        // The default strength lies inside the fluent range the page names.
        expect(f.tuning.strength).toBeLessThanOrEqual(f.tuning.fluent[1]);
        expect(f.tuning.strength).toBeGreaterThanOrEqual(f.tuning.fluent[0]);
      }
    });
  });
}
