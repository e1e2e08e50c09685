import { describe, expect, it } from 'vitest';
import {
  coefficientRange,
  defaultExperiment,
  experimentRecipes,
  presetPairs,
  STEERING_VECTOR,
  steeredInterventions,
  steeringRecipe,
} from '../../../src/experiment';

const model = { id: 'm', nLayers: 8 };
const withPairs = () => {
  const e = defaultExperiment();
  return {
    ...e,
    steering: {
      ...e.steering,
      pairs: [
        { positive: 'happy', negative: 'sad' },
        { positive: 'half', negative: ' ' },
      ],
      coefficient: 3,
    },
  };
};

describe('the steering loop as recipes and interventions', () => {
  it('has no recipe and no intervention until a pair is complete', () => {
    const e = defaultExperiment();
    expect(steeringRecipe(e.steering, model)).toBeUndefined();
    expect(steeredInterventions(e, 8)).toEqual([]);
  });

  it('builds the contrast recipe from complete pairs at the middle layer by default', () => {
    const r = steeringRecipe(withPairs().steering, model)!;
    expect(r).toMatchObject({ from: 'contrast', model: 'm', hook: 'resid_pre', layers: [4], method: 'mean' });
    expect(r.pairs).toEqual([{ positive: 'happy', negative: 'sad' }]);
  });

  it('refuses layers the model does not have instead of steering another one', () => {
    const e = withPairs();
    expect(() => steeringRecipe({ ...e.steering, layers: [2, 99] }, model)).toThrow(
      'The experiment steers layer 99, but this model has layers 0 to 7.',
    );
    expect(() => steeredInterventions({ ...e, steering: { ...e.steering, layers: [1024] } }, 8)).toThrow(
      expect.objectContaining({ code: 'bad-layer' }),
    );
    expect(steeringRecipe({ ...e.steering, layers: [] }, model)!.layers).toEqual([4]);
  });

  it('adds the named vector with the coefficient, then the experiment’s other interventions', () => {
    const e = { ...withPairs(), interventions: [{ kind: 'ablate' as const, vector: 'x' }] };
    const ivs = steeredInterventions(e, 8);
    expect(ivs[0]).toEqual({
      kind: 'add',
      vector: STEERING_VECTOR,
      coefficient: 3,
      layers: [4],
      positions: { kind: 'all' },
    });
    expect(ivs[1]).toEqual({ kind: 'ablate', vector: 'x' });
    expect(Object.keys(experimentRecipes(e, model))).toEqual([STEERING_VECTOR]);
  });

  it('ranges the slider so its end adds twice the activation norm', () => {
    const r = coefficientRange(2, 10);
    expect(r.max).toBeGreaterThanOrEqual(10);
    expect(r.max).toBeLessThan(20);
    expect(coefficientRange(0, 10)).toEqual({ max: 10, step: 0.1 });
  });

  it('takes preset pairs from the organism datasets’ shapes', () => {
    const sentiment = presetPairs('sentiment', [{ items: [{ id: '1', positive: 'p', negative: 'n' }] }]);
    expect(sentiment).toEqual([{ positive: 'p', negative: 'n' }]);
    const refusal = presetPairs('refusal', [
      { items: [{ instruction: 'bad thing' }, { instruction: 'worse' }] },
      { items: [{ instruction: 'good thing' }] },
    ]);
    expect(refusal).toEqual([{ positive: 'bad thing', negative: 'good thing' }]);
    expect(presetPairs('formality', []).length).toBeGreaterThan(4);
  });
});
