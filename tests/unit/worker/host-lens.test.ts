import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelHost } from '../../../src/worker/host';
import { organismHost } from '../../support/organism-host';

/** An experiment that runs only this prompt (the logit lens, nothing steering). */
function prompt(text: string) {
  return { version: 1, prompt: { text } } as const;
}

describe('the worker host’s lens job', () => {
  let host: ModelHost;
  beforeAll(async () => {
    host = await organismHost();
  });
  afterAll(() => host?.dispose());

  it('cancels a lens request when a newer one arrives, and answers the newer', async () => {
    const first = host.lens({ experiment: prompt('Once upon a time') });
    const second = host.lens({ experiment: prompt('Once upon a time there'), k: 3 });
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    const out = await second;
    expect(out.k).toBe(3);
    expect(out.tokens.length).toBeGreaterThan(1);
  });

  it('runs beside a generation without stopping it', async () => {
    const gen = host.generate({
      experiment: { ...prompt('Once upon a time'), generation: { maxTokens: 8, temperature: 0 } },
      sides: 'both',
    });
    const lens = host.lens({ experiment: prompt('Once upon a time') });
    const [g, l] = await Promise.all([gen, lens]);
    expect(g.baseline!.stopReason).not.toBe('cancelled');
    expect(l.baseline.topIds.length).toBe(l.rows.length * l.tokens.length * l.k);
  });

  it('applies head gates (zero and mean ablation) to the steered grid from their layer on', async () => {
    const text = 'Once upon a time there was';
    for (const mode of ['zero', 'mean'] as const) {
      const out = await host.lens({
        experiment: {
          ...prompt(text),
          interventions: [{ kind: 'gate', heads: [1, 2, 3].map((head) => ({ layer: 2, head, mode })) }],
        },
      });
      const perRow = out.tokens.length * out.k;
      const row = (g: Float32Array, r: number) => [...g.subarray(r * perRow, (r + 1) * perRow)];
      // Rows 0..2 are the embedding and blocks 0 and 1: before the gated heads.
      for (const r of [0, 1, 2]) expect(row(out.steered!.topProbs, r)).toEqual(row(out.baseline.topProbs, r));
      expect(row(out.steered!.topProbs, 3)).not.toEqual(row(out.baseline.topProbs, 3));
    }
  });

  it('rejects interventions that do not parse, with the schema’s code', async () => {
    await expect(
      host.lens({ experiment: { ...prompt('x'), interventions: [{ kind: 'nope' } as never] } }),
    ).rejects.toMatchObject({ code: 'spec-validation' });
  });
});
