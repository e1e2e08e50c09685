import { describe, expect, it } from 'vitest';
import { describeSteered } from '../../../../src/app/panels/describe-steered';
import { defaultExperiment, type Experiment, steeredPlan } from '../../../../src/experiment';

const PAIRS = [{ positive: 'I love this', negative: 'I hate this' }];

function experiment(patch: Partial<Experiment>, steering: Partial<Experiment['steering']> = {}): Experiment {
  const e = defaultExperiment();
  return { ...e, ...patch, steering: { ...e.steering, pairs: PAIRS, ...steering } };
}

describe('the steered heading', () => {
  it('names the loop’s operator and strength', () => {
    const e = experiment({}, { operator: 'add', coefficient: 4 });
    expect(describeSteered(e, steeredPlan(e, { id: 'm', nLayers: 8 }).interventions)).toBe('add 4.00');
    const r = experiment({}, { operator: 'rotate', angle: 90 });
    expect(describeSteered(r, steeredPlan(r, { id: 'm', nLayers: 8 }).interventions)).toBe('rotate 90.00°');
  });

  it('says which heads are gated and that the refusal direction is ablated, not just strength 0', () => {
    const e = experiment(
      {
        vectors: {
          // Named otherwise than the refusal view names it: the recipe says what it is.
          dir: { from: 'refusal', model: 'm', harmful: ['a'], harmless: ['b'], position: -1, layer: 3 },
        },
        interventions: [
          {
            kind: 'gate',
            heads: [
              { layer: 1, head: 0, mode: 'zero' },
              { layer: 2, head: 3, mode: 'mean' },
            ],
          },
          { kind: 'ablate', vector: 'dir' },
        ],
      },
      { operator: 'add', coefficient: 0 },
    );
    expect(describeSteered(e, steeredPlan(e, { id: 'm', nLayers: 8 }).interventions)).toBe(
      'add 0.00 · refusal ablated · 2 heads gated',
    );
  });

  it('leaves the loop out when its vector is missing, and says when nothing applies', () => {
    const e = experiment({ interventions: [{ kind: 'gate', heads: [{ layer: 0, head: 1, mode: 'zero' }] }] });
    expect(describeSteered(e, [...e.interventions])).toBe('1 head gated');
    expect(describeSteered(e, [])).toBe('nothing applied');
  });
});
