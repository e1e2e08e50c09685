import { describe, expect, it } from 'vitest';
import { colorScale, shortNumber } from '../../../../../src/app/views/heads/color';
import { gateMark, gateOf, gatesOf, toggleGate, withGates } from '../../../../../src/app/views/heads/gates';
import { defaultExperiment, type Experiment, parseInterventions } from '../../../../../src/experiment';

const ablate = { kind: 'ablate', vector: 'refusal' } as const;

function withOthers(): Experiment {
  return { ...defaultExperiment(), interventions: [ablate] };
}

describe('head gates in the experiment', () => {
  it('gates a head with a click and restores it with a second click of the same kind', () => {
    const one = toggleGate(withOthers(), 2, 1, 'zero');
    expect(one.interventions).toEqual([
      ablate,
      { kind: 'gate', heads: [{ layer: 2, head: 1, mode: 'zero' }] },
    ]);
    const back = toggleGate(one, 2, 1, 'zero');
    // No gated head: no gate intervention at all, the others untouched.
    expect(back.interventions).toEqual([ablate]);
  });

  it('replaces a head gate of another kind instead of stacking it', () => {
    let e = toggleGate(defaultExperiment(), 0, 0, 'zero');
    e = toggleGate(e, 0, 0, 'mean');
    expect(gatesOf(e)).toEqual([{ layer: 0, head: 0, mode: 'mean' }]);
    e = toggleGate(e, 0, 0, 'scale', 0.25);
    expect(gateOf(gatesOf(e), 0, 0)).toEqual({ layer: 0, head: 0, mode: 'scale', factor: 0.25 });
    // Another factor is another gate; the same factor restores.
    e = toggleGate(e, 0, 0, 'scale', 2);
    expect(gateOf(gatesOf(e), 0, 0)).toMatchObject({ factor: 2 });
    expect(gatesOf(toggleGate(e, 0, 0, 'scale', 2))).toEqual([]);
  });

  it('keeps one gate intervention, its heads in layer order, valid for the link', () => {
    let e = withOthers();
    for (const [l, h] of [
      [3, 1],
      [0, 2],
      [3, 0],
    ] as const)
      e = toggleGate(e, l, h, 'zero');
    expect(e.interventions.filter((iv) => iv.kind === 'gate')).toHaveLength(1);
    expect(gatesOf(e).map((g) => `${g.layer}.${g.head}`)).toEqual(['0.2', '3.0', '3.1']);
    expect(parseInterventions(JSON.parse(JSON.stringify(e.interventions)))).toEqual(e.interventions);
    expect(withGates(e, []).interventions).toEqual([ablate]);
  });

  it('marks each gate kind with text, not only colour', () => {
    expect(gateMark({ layer: 0, head: 0, mode: 'zero' })).toBe('×0');
    expect(gateMark({ layer: 0, head: 0, mode: 'mean' })).toBe('μ');
    expect(gateMark({ layer: 0, head: 0, mode: 'scale', factor: 0.333333 })).toBe('×0.33');
    expect(gateMark(undefined)).toBe('');
  });
});

describe('head grid colours', () => {
  it('centres a signed measure on white at 0, symmetric around it', () => {
    const s = colorScale([-0.5, 0.1, 2], 'diverging');
    expect([s.min, s.max]).toEqual([-2, 2]);
    expect(s.color(0)).toBe('rgb(247,247,247)');
    expect(s.color(2)).toBe('rgb(178,24,43)');
    expect(s.color(-2)).toBe('rgb(33,102,172)');
  });

  it('runs entropy from 0 up to its largest value', () => {
    const s = colorScale([0.2, 1.5, 0.9], 'sequential');
    expect([s.min, s.max]).toEqual([0, 1.5]);
    expect(s.color(0)).not.toBe(s.color(1.5));
    expect(s.ink(1.5)).toBe('#ffffff');
  });

  it('prints short numbers for the cells', () => {
    expect(shortNumber(0.123456)).toBe('0.123');
    expect(shortNumber(-12.345)).toBe('-12.3');
    expect(shortNumber(0.00001234)).toBe('1.2e-5');
    expect(shortNumber(Number.NaN)).toBe('–');
  });
});
