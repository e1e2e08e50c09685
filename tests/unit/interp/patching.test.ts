import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../src/engine';
import { attributionPatch, comparePatching } from '../../../src/interp/attribution-patching';
import type { Metric } from '../../../src/interp/metrics';
import { patch, patchSweep } from '../../../src/interp/patching';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

// Matched prompts: one token differs (the "item"), the rest is shared.
const SOURCE = [1, 12, 30, 7, 22, 5, 9];
const TARGET = [1, 12, 31, 7, 22, 5, 9];
const METRIC: Metric = { kind: 'logit-diff', target: [3], baseline: [4] };
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

describe.each([
  ['gpt2', gpt2Spec()],
  ['llama', llamaSpec()],
])('activation patching on a random %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 11);
  });
  afterAll(() => model.dispose());
  const L = spec.nLayers;

  it('has no effect when a run is patched with its own activations', async () => {
    const self = { source: TARGET, target: TARGET };
    const heads = await expectNoLeaks(() => patchSweep(model, self, { kind: 'heads' }, METRIC));
    const resid = await expectNoLeaks(() =>
      patchSweep(model, self, { kind: 'point', point: 'resid_mid' }, METRIC, { maxTokens: 20 }),
    );
    expect([heads.rows, heads.cols, resid.rows, resid.cols]).toEqual([L, spec.nHeads, L, TARGET.length]);
    expect(maxAbs(heads.effect)).toBeLessThan(1e-5);
    expect(maxAbs(resid.effect)).toBeLessThan(1e-5);
    expect(heads.source).toBeCloseTo(heads.target, 5);
  });

  it('reproduces the source metric when everything upstream is patched', async () => {
    const all = await expectNoLeaks(() =>
      patch(
        model,
        { source: SOURCE, target: TARGET },
        [{ kind: 'point', point: 'resid_pre', layer: 0 }],
        METRIC,
      ),
    );
    expect(Math.abs(all.source - all.target)).toBeGreaterThan(1e-3);
    expect(all.patched).toBeCloseTo(all.source, 4);
    // Prompts of different lengths: the last block's output at the last token decides the metric.
    const longer = [1, 40, 41, ...SOURCE.slice(1)];
    const last = await patch(
      model,
      { source: longer, target: TARGET },
      [{ kind: 'point', point: 'resid_post', layer: L - 1, position: -1 }],
      METRIC,
    );
    expect(last.patched).toBeCloseTo(last.source, 4);
    // Every head's z and every MLP output together are everything that reaches the residual.
    const everything = await patch(
      model,
      { source: SOURCE, target: TARGET },
      [
        { kind: 'point', point: 'resid_pre', layer: 0 },
        ...Array.from({ length: L }, (_, layer) => ({
          kind: 'point' as const,
          point: 'mlp_out' as const,
          layer,
        })),
        ...Array.from({ length: L * spec.nHeads }, (_, i) => ({
          kind: 'head' as const,
          layer: Math.floor(i / spec.nHeads),
          head: i % spec.nHeads,
        })),
      ],
      METRIC,
    );
    expect(everything.patched).toBeCloseTo(everything.source, 4);
  });

  it('gives each cell of a batched sweep the effect of patching that site alone', async () => {
    const pair = { source: SOURCE, target: TARGET };
    const grid = await patchSweep(
      model,
      pair,
      { kind: 'point', point: 'resid_pre', positions: 'each' },
      METRIC,
      {
        maxTokens: 30,
      },
    );
    for (const [layer, position] of [
      [0, 2],
      [1, 2],
      [1, 6],
      [0, 0],
    ] as const) {
      const one = await patch(model, pair, [{ kind: 'point', point: 'resid_pre', layer, position }], METRIC);
      expect(grid.effect[layer * TARGET.length + position]!).toBeCloseTo(one.patched - one.target, 4);
    }
    // Only the changed token and what attends to it can matter: position 1 precedes the change.
    expect(Math.abs(grid.effect[1]!)).toBeLessThan(1e-5);
    const heads = await patchSweep(model, pair, { kind: 'heads', positions: 'last' }, METRIC);
    const one = await patch(model, pair, [{ kind: 'head', layer: 1, head: 2, position: -1 }], METRIC);
    expect(heads.effect[1 * spec.nHeads + 2]!).toBeCloseTo(one.patched - one.target, 4);
  });

  it('refuses to patch every position of prompts of different lengths', async () => {
    await expect(
      patchSweep(model, { source: [1, 2, 3], target: TARGET }, { kind: 'heads' }, METRIC),
    ).rejects.toThrow(/one length/);
  });

  it('estimates the grid by attribution patching, exactly zero for a self-patch', async () => {
    const self = await expectNoLeaks(() =>
      attributionPatch(model, { source: TARGET, target: TARGET }, { kind: 'heads' }, METRIC),
    );
    expect(maxAbs(self.effect)).toBe(0);
    const pair = { source: SOURCE, target: TARGET };
    const heads = await expectNoLeaks(() => comparePatching(model, pair, { kind: 'heads' }, METRIC));
    const resid = await comparePatching(model, pair, { kind: 'point', point: 'resid_pre' }, METRIC);
    const mlp = await comparePatching(
      model,
      pair,
      { kind: 'point', point: 'mlp_out', positions: 'last' },
      METRIC,
    );
    console.log(
      `${spec.modelType}: attribution vs exact patching, correlation over cells: heads ${heads.correlation.toFixed(3)}, ` +
        `resid_pre × position ${resid.correlation.toFixed(3)}, mlp_out ${mlp.correlation.toFixed(3)}`,
    );
    expect(heads.attribution.target).toBeCloseTo(heads.exact.target, 5);
    expect(heads.correlation).toBeGreaterThan(0.9);
    expect(resid.correlation).toBeGreaterThan(0.9);
  });
});
