import { describe, expect, it } from 'vitest';
import {
  add,
  assertCompatible,
  IncompatibleVectorError,
  negate,
  normalize,
  type SteeringVector,
  scale,
  subtract,
} from '../../../src/interp/vector';

const v = (layers: Record<number, number[]>, over: Partial<SteeringVector> = {}): SteeringVector => ({
  modelId: 'm',
  hook: 'resid_post',
  width: 2,
  rows: 1,
  layers: Object.fromEntries(Object.entries(layers).map(([l, d]) => [l, Float32Array.from(d)])),
  ...over,
});
const values = (x: SteeringVector) =>
  Object.fromEntries(Object.entries(x.layers).map(([l, d]) => [l, Array.from(d)]));
const model = { id: 'm', spec: { nLayers: 4, dModel: 2, dMlp: 8 } };

describe('steering vector values', () => {
  it('add and subtract combine layer by layer, keeping layers only one side has', () => {
    const a = v({ 0: [1, 2], 1: [3, 4] });
    const b = v({ 1: [10, 20], 2: [5, 5] });
    expect(values(add(a, b))).toEqual({ 0: [1, 2], 1: [13, 24], 2: [5, 5] });
    expect(values(subtract(a, b))).toEqual({ 0: [1, 2], 1: [-7, -16], 2: [-5, -5] });
  });

  it('scale, negate and normalize return new vectors and leave the input alone', () => {
    const a = v({ 0: [3, 4] }, { recipe: { from: 'import', format: 'json' } });
    expect(values(scale(a, 2))).toEqual({ 0: [6, 8] });
    expect(values(negate(a))).toEqual({ 0: [-3, -4] });
    expect(values(normalize(a))).toEqual({ 0: [0.6000000238418579, 0.800000011920929] });
    expect(values(a)).toEqual({ 0: [3, 4] });
    // Arithmetic results no longer follow the recipe.
    expect(scale(a, 2).recipe).toBeUndefined();
  });

  it('normalize scales each row of a per-position vector separately', () => {
    const a = v({ 0: [3, 4, 0, 2] }, { rows: 2 });
    expect(values(normalize(a))).toEqual({ 0: [0.6000000238418579, 0.800000011920929, 0, 1] });
  });

  it('throws IncompatibleVectorError when combining vectors of different models or hooks', () => {
    expect(() => add(v({ 0: [1, 1] }), v({ 0: [1, 1] }, { modelId: 'other' }))).toThrow(
      IncompatibleVectorError,
    );
    expect(() => add(v({ 0: [1, 1] }), v({ 0: [1, 1] }, { hook: 'resid_pre' }))).toThrow(
      IncompatibleVectorError,
    );
  });

  it('checks a vector against a model: id, width and layers', () => {
    expect(() => assertCompatible(v({ 0: [1, 1] }), model)).not.toThrow();
    expect(() => assertCompatible(v({ 0: [1, 1] }, { modelId: 'x' }), model)).toThrow(/built for model "x"/);
    expect(() => assertCompatible(v({ 0: [1, 1, 1] }, { width: 3 }), model)).toThrow(IncompatibleVectorError);
    expect(() => assertCompatible(v({ 4: [1, 1] }), model)).toThrow(/layer 4/);
    expect(() =>
      assertCompatible(v({ 0: [1, 1, 1, 1, 1, 1, 1, 1] }, { hook: 'mlp_post', width: 8 }), model),
    ).not.toThrow();
  });
});
