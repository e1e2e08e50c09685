import { describe, expect, it } from 'vitest';
import {
  base64ToFloat16,
  decode,
  defaultExperiment,
  type Experiment,
  ExperimentSchema,
  encode,
  float16ToBase64,
  type InlineVector,
  InlineVectorSchema,
  MAX_UNITS,
  STEERING_PLANE,
  STEERING_UNITS,
  STEERING_VECTOR,
  steeredPlan,
  steeringStrength,
  strengthPatch,
} from '../../../src/experiment';

const model = { id: 'm', nLayers: 8 };

/** The planes and unit selections of the experiment's steered plan. */
function extras(e: Experiment) {
  const { planes, units } = steeredPlan(e, model);
  return { planes, units };
}

function withSteering(patch: Partial<Experiment['steering']>): Experiment {
  const e = defaultExperiment();
  return {
    ...e,
    steering: {
      ...e.steering,
      pairs: [
        { positive: 'happy', negative: 'sad' },
        { positive: 'glad', negative: 'gloomy' },
      ],
      ...patch,
    },
  };
}

function inline(width: number, layers: Record<string, number[]>): InlineVector {
  return {
    from: 'inline',
    hook: 'resid_pre',
    width,
    layers: Object.fromEntries(Object.entries(layers).map(([l, v]) => [l, float16ToBase64(v)])),
    name: 'v.gguf',
    format: 'gguf',
  };
}

describe('steering operators in the experiment', () => {
  it('reads an old link without operator fields as add with the default strengths', () => {
    const e = ExperimentSchema.parse({ version: 1, steering: { coefficient: 2 } });
    expect(e.steering).toMatchObject({
      operator: 'add',
      coefficient: 2,
      ablation: 1,
      angle: 0,
      rotation: 'selective',
      alpha: 5,
      k: 10,
    });
    expect(e.steering.vector).toBeUndefined();
  });

  it('derives one intervention per operator, each with its own strength', () => {
    const add = steeredPlan(
      withSteering({ operator: 'add', coefficient: 4, layers: [2] }),
      model,
    ).interventions;
    expect(add).toEqual([
      { kind: 'add', vector: STEERING_VECTOR, coefficient: 4, layers: [2], positions: { kind: 'all' } },
    ]);
    const ablate = steeredPlan(
      withSteering({ operator: 'ablate', ablation: 0.5, layers: [3, 5] }),
      model,
    ).interventions;
    expect(ablate).toEqual([
      { kind: 'ablate', vector: STEERING_VECTOR, layer: 3, scope: 'residual-writes', strength: 0.5 },
    ]);
    const rotate = steeredPlan(withSteering({ operator: 'rotate', angle: 30 }), model).interventions;
    expect(rotate).toEqual([{ kind: 'rotate', plane: STEERING_PLANE, mode: 'selective', angle: 30 }]);
    const units = steeredPlan(withSteering({ operator: 'units', alpha: 2, k: 7 }), model).interventions;
    expect(units).toEqual([{ kind: 'units', units: STEERING_UNITS, alpha: 2, k: 7 }]);
  });

  it('asks for a plane only for rotate and a unit ranking only for units, from the complete pairs', () => {
    expect(extras(withSteering({ operator: 'add' }))).toEqual({ planes: {}, units: {} });
    const rot = steeredPlan(withSteering({ operator: 'rotate' }), model);
    expect(rot.planes[STEERING_PLANE]).toEqual({
      from: 'plane',
      model: 'm',
      positive: ['happy', 'glad'],
      negative: ['sad', 'gloomy'],
      discriminative: false,
    });
    const u = steeredPlan(withSteering({ operator: 'units', unitPoint: 'mlp_out', k: 3 }), model);
    // Ranked to the cap whatever k is, so moving k never re-reads the pairs.
    expect(u.units[STEERING_UNITS]).toMatchObject({ from: 'units', point: 'mlp_out', k: MAX_UNITS });
    expect(extras(withSteering({ operator: 'rotate', pairs: [] }))).toEqual({
      planes: {},
      units: {},
    });
  });

  it('shows and sets the strength of the chosen operator, clamped to the schema', () => {
    const s = withSteering({ operator: 'rotate', angle: 45, coefficient: 3 }).steering;
    expect(steeringStrength(s)).toBe(45);
    expect(strengthPatch(s, 500)).toEqual({ angle: 180 });
    expect(strengthPatch({ ...s, operator: 'ablate' }, -1)).toEqual({ ablation: 0 });
    expect(strengthPatch({ ...s, operator: 'units' }, 2.5)).toEqual({ alpha: 2.5 });
    expect(steeringStrength({ ...s, operator: 'add' })).toBe(3);
  });

  it('steers with an imported vector instead of the pairs, at the chosen layers it has', () => {
    const v = inline(4, { '2': [1, 0, 0, 0], '5': [0, 1, 0, 0] });
    const e = withSteering({ vector: v, layers: [5, 6], coefficient: 1 });
    expect(steeredPlan(e, model).vectors[STEERING_VECTOR]).toBe(v);
    expect(steeredPlan(e, model).interventions[0]).toMatchObject({ kind: 'add', layers: [5] });
    // None of the chosen layers in the vector: all of its own.
    const all = withSteering({ vector: v, layers: [0], coefficient: 1, pairs: [] });
    expect(steeredPlan(all, model).interventions[0]).toMatchObject({ kind: 'add', layers: [2, 5] });
    // Rotate and units need pairs; an imported vector alone cannot give them.
    expect(
      steeredPlan({ ...all, steering: { ...all.steering, operator: 'rotate' } }, model).interventions,
    ).toEqual([]);
  });

  it('round-trips float16 values to within half-precision rounding, and exact on representable ones', () => {
    const exact = [0, 1, -2, 0.5, 65504, -0.25, 2 ** -24];
    expect(Array.from(base64ToFloat16(float16ToBase64(exact)))).toEqual(exact);
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * (i + 1));
    const back = base64ToFloat16(float16ToBase64(values));
    values.forEach((x, i) => expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11));
    expect(base64ToFloat16(float16ToBase64([1e6]))[0]).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses inline vectors whose data does not match their width, or that hold nothing', () => {
    const good = inline(4, { '3': [1, 2, 3, 4] });
    expect(InlineVectorSchema.safeParse(good).success).toBe(true);
    expect(InlineVectorSchema.safeParse({ ...good, width: 5 }).success).toBe(false);
    expect(InlineVectorSchema.safeParse({ ...good, layers: {} }).success).toBe(false);
    expect(InlineVectorSchema.safeParse({ ...good, layers: { x: good.layers['3'] } }).success).toBe(false);
    expect(InlineVectorSchema.safeParse({ ...good, layers: { '3': '<img>' } }).success).toBe(false);
    const huge = {
      ...good,
      width: 16_384,
      layers: Object.fromEntries([...Array(20).keys()].map((l) => [l, ''])),
    };
    expect(InlineVectorSchema.safeParse(huge).success).toBe(false);
  });

  it('carries a non-add operator and an imported vector through a link unchanged', async () => {
    const rot = withSteering({ operator: 'rotate', angle: -60, rotation: 'angular' });
    expect((await decode(await encode(rot)))?.steering).toEqual(rot.steering);
    const imp = withSteering({
      operator: 'ablate',
      ablation: 0.75,
      vector: inline(48, { '2': [...Array(48).keys()] }),
    });
    const back = await decode(await encode(imp));
    expect(back?.steering).toEqual(imp.steering);
    expect(Array.from(base64ToFloat16(back!.steering.vector!.layers['2']!))).toEqual([...Array(48).keys()]);
  });
});
