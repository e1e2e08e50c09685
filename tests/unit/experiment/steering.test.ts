import { describe, expect, it } from 'vitest';
import {
  coefficientRange,
  defaultExperiment,
  presetPairs,
  STEERING_VECTOR,
  steeredPlan,
  steeringStrength,
  strengthPatch,
  type VectorSource,
} from '../../../src/experiment';

const model = { id: 'm', nLayers: 8 };
type Contrast = Extract<VectorSource, { from: 'contrast' }>;
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
    expect(steeredPlan(e, model).vectors[STEERING_VECTOR]).toBeUndefined();
    expect(steeredPlan(e, model).interventions).toEqual([]);
  });

  it('builds the contrast recipe from complete pairs at the middle layer by default', () => {
    const r = steeredPlan(withPairs(), model).vectors[STEERING_VECTOR] as Contrast;
    expect(r).toMatchObject({ from: 'contrast', model: 'm', hook: 'resid_pre', layers: [4], method: 'mean' });
    expect(r.pairs).toEqual([{ positive: 'happy', negative: 'sad' }]);
  });

  it('refuses layers the model does not have instead of steering another one', () => {
    const e = withPairs();
    expect(
      () =>
        steeredPlan({ ...e, steering: { ...e.steering, layers: [2, 99] } }, model).vectors[STEERING_VECTOR],
    ).toThrow('The experiment steers layer 99, but this model has layers 0 to 7.');
    expect(
      () => steeredPlan({ ...e, steering: { ...e.steering, layers: [1024] } }, model).interventions,
    ).toThrow(expect.objectContaining({ code: 'bad-layer' }));
    expect(
      (
        steeredPlan({ ...e, steering: { ...e.steering, layers: [] } }, model).vectors[
          STEERING_VECTOR
        ] as Contrast
      ).layers,
    ).toEqual([4]);
  });

  it('adds the named vector with the coefficient, then the experiment’s other interventions', () => {
    const e = { ...withPairs(), interventions: [{ kind: 'ablate' as const, vector: 'x' }] };
    const ivs = steeredPlan(e, model).interventions;
    expect(ivs[0]).toEqual({
      kind: 'add',
      vector: STEERING_VECTOR,
      coefficient: 3,
      layers: [4],
      positions: { kind: 'all' },
    });
    expect(ivs[1]).toEqual({ kind: 'ablate', vector: 'x' });
    expect(Object.keys(steeredPlan(e, model).vectors)).toEqual([STEERING_VECTOR]);
  });

  it('builds ActAdd from the first complete pair at the first layer, for the add operator only', () => {
    const e = withPairs();
    const s = {
      ...e.steering,
      recipe: 'actadd' as const,
      layers: [5, 2],
      positions: { kind: 'front' as const },
    };
    expect(steeredPlan({ ...e, steering: s }, model).vectors[STEERING_VECTOR]).toEqual({
      from: 'actadd',
      model: 'm',
      positive: 'happy',
      negative: 'sad',
      layer: 2,
    });
    // ActAdd's first row (BOS) is zero: ablate-first is dropped rather than dividing by it.
    expect(steeredPlan({ ...e, steering: { ...s, ablateFirst: true } }, model).interventions[0]).toEqual({
      kind: 'add',
      vector: STEERING_VECTOR,
      coefficient: 3,
      layers: [2, 5],
      positions: { kind: 'front' },
    });
    // Other operators read the pairs' contrast vector: ActAdd's per-position rows are add's.
    expect(
      steeredPlan({ ...e, steering: { ...s, operator: 'guard' } }, model).vectors[STEERING_VECTOR],
    ).toMatchObject({ from: 'contrast' });
  });

  it('carries normalize and ablate-then-add into the add intervention', () => {
    const e = withPairs();
    const s = { ...e.steering, normalize: true, ablateFirst: true, positions: { kind: 'prompt' as const } };
    expect(steeredPlan({ ...e, steering: s }, model).interventions[0]).toMatchObject({
      kind: 'add',
      positions: { kind: 'prompt' },
      normalize: true,
      ablateFirst: true,
    });
  });

  it('derives the layer-weighted and GUARD-IT interventions and their strengths', () => {
    const e = withPairs();
    const lw = {
      ...e.steering,
      operator: 'layer-weighted' as const,
      layers: [1, 3],
      ...strengthPatch({ ...e.steering, operator: 'layer-weighted' }, 7),
    };
    expect(steeringStrength(lw)).toBe(7);
    expect(steeredPlan({ ...e, steering: lw }, model).interventions).toEqual([
      {
        kind: 'layer-weighted',
        vector: STEERING_VECTOR,
        strength: 7,
        weights: [
          { layer: 1, weight: 1 },
          { layer: 3, weight: 1 },
        ],
        positions: { kind: 'all' },
      },
    ]);
    const guard = { ...e.steering, operator: 'guard' as const, layers: [6, 2], redirect: -2 };
    expect(steeringStrength(guard)).toBe(-2);
    expect(steeredPlan({ ...e, steering: guard }, model).interventions).toEqual([
      { kind: 'guard', vector: STEERING_VECTOR, layer: 2, coefficient: -2 },
    ]);
  });

  it('asks for a discriminative plane when the strip toggle is on', () => {
    const e = withPairs();
    const rotate = { ...e.steering, operator: 'rotate' as const, discriminative: true };
    expect(steeredPlan({ ...e, steering: rotate }, model).planes['steering-plane']).toMatchObject({
      discriminative: true,
    });
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
    // A topic's stories against other topics' stories of the same mood, in order.
    const story = (id: string, topic: string, sentiment: string) => ({ id, topic, sentiment, text: id });
    const music = presetPairs('music', [
      {
        items: [
          story('m+', 'music', 'positive'),
          story('f-', 'food', 'negative'),
          story('g+', 'games', 'positive'),
          story('m-', 'music', 'negative'),
          story('w-', 'weather', 'negative'),
        ],
      },
    ]);
    expect(music).toEqual([
      { positive: 'm+', negative: 'g+' },
      { positive: 'm-', negative: 'w-' },
    ]);
  });
});
