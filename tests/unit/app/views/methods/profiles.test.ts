import { describe, expect, it } from 'vitest';
import {
  activityByLayer,
  activityTable,
  sparsityAt,
  sparsityTable,
} from '../../../../../src/app/views/methods/profiles';
import { ExperimentSchema } from '../../../../../src/experiment';
import type { LayerProfiles } from '../../../../../src/worker';

const profiles: LayerProfiles = {
  tokens: ['a', 'b'],
  layers: 2,
  activity: Float32Array.from([0.05, 0.15, 0.5, 0.7]),
  epsilons: [0.01, 0.1],
  sparsity: Float32Array.from([0.25, 0.5, 0, 0.125]),
  count: 8,
};

describe('the methods view’s numbers', () => {
  it('averages each layer’s change and counts its idle tokens', () => {
    const { mean, idleTokens } = activityByLayer(profiles, 0.1);
    expect(mean[0]).toBeCloseTo(0.1, 6);
    expect(mean[1]).toBeCloseTo(0.6, 6);
    expect(idleTokens).toEqual([1, 0]);
    expect(activityTable(profiles, 0.1).rows[1]!.slice(0, 3)).toEqual([1, mean[1], 0]);
  });

  it('reads the share at one measured ε, and none at another', () => {
    expect(sparsityAt(profiles, 0.1)).toEqual([0.5, 0.125]);
    expect(sparsityAt(profiles, 0.3)).toEqual([]);
    expect(sparsityTable(profiles).header).toEqual(['layer', 'share_abs_le_0.01', 'share_abs_le_0.1']);
  });

  it('keeps τ and ε in the experiment, refusing an ε the view does not measure', () => {
    const exp = ExperimentSchema.parse({
      version: 1,
      view: { tab: 'methods', methods: { tau: 0.2, epsilon: 0.1 } },
    });
    expect(exp.view.methods).toEqual({ tau: 0.2, epsilon: 0.1 });
    expect(ExperimentSchema.safeParse({ version: 1, view: { methods: { epsilon: 0.2 } } }).success).toBe(
      false,
    );
    expect(ExperimentSchema.parse({ version: 1 }).view.methods).toEqual({ tau: 0.1, epsilon: 0.01 });
  });
});
