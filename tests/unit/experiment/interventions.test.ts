import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  InterventionSchema,
  type PlaneRecipeSchema,
  type PositionSchema,
  parseInterventions,
  SpecValidationError,
  type UnitsRecipeSchema,
  VectorRecipeSchema,
} from '../../../src/experiment/interventions';
import type { Position } from '../../../src/interp/activations';
import type {
  AddIntervention,
  Intervention,
  InterventionPositions,
  RotateIntervention,
} from '../../../src/interp/interventions';
import type { PlaneRecipe, UnitsRecipe, VectorRecipe } from '../../../src/interp/recipe';

describe('intervention schemas', () => {
  it('infer exactly interp’s types', () => {
    expectTypeOf<z.infer<typeof InterventionSchema>>().toEqualTypeOf<Intervention>();
    expectTypeOf<z.input<typeof InterventionSchema>>().toEqualTypeOf<Intervention>();
    expectTypeOf<z.infer<typeof VectorRecipeSchema>>().toEqualTypeOf<VectorRecipe>();
    expectTypeOf<z.infer<typeof PlaneRecipeSchema>>().toEqualTypeOf<PlaneRecipe>();
    expectTypeOf<z.infer<typeof UnitsRecipeSchema>>().toEqualTypeOf<UnitsRecipe>();
    expectTypeOf<z.infer<typeof PositionSchema>>().toEqualTypeOf<Position>();
    expectTypeOf<Extract<Intervention, { kind: 'add' }>['positions']>().toEqualTypeOf<
      InterventionPositions | undefined
    >();
  });

  it('accepts one intervention of every kind, unchanged, through JSON', () => {
    const all: Intervention[] = [
      {
        kind: 'add',
        vector: 'v',
        coefficient: 4,
        layers: [6],
        positions: { kind: 'from', start: 12 },
        normalize: true,
      },
      { kind: 'ablate', vector: 'refusal' },
      { kind: 'rotate', plane: 'p', mode: 'selective', angle: 180, modules: 'plane' },
      { kind: 'units', units: 'u', alpha: 5, k: 10 },
      { kind: 'layer-weighted', vector: 'v', strength: 2, weights: [{ layer: 3, weight: 0.5 }] },
      { kind: 'guard', vector: 'v', layer: 4, coefficient: 1, gate: { centroid: 'c', threshold: 0.2 } },
    ];
    expect(parseInterventions(JSON.parse(JSON.stringify(all)))).toEqual(all);
  });

  it('rejects what compile could not run, naming the field', () => {
    const bad = (x: unknown) => () => parseInterventions([x]);
    expect(bad({ kind: 'steer', vector: 'v' })).toThrow(SpecValidationError);
    expect(bad({ kind: 'add', vector: 'v', coefficient: 'big' })).toThrow(/0\.coefficient/);
    expect(bad({ kind: 'add', vector: 'v', coefficient: 1, layers: [-1] })).toThrow(/0\.layers\.0/);
    expect(bad({ kind: 'rotate', plane: 'p', mode: 'angular', angle: 90, strength: 2 })).toThrow(/strength/);
    expect(bad({ kind: 'add', vector: 'v', coefficient: 1, positions: { kind: 'from' } })).toThrow(/start/);
  });

  it('keeps recipe types usable as plain objects', () => {
    const r: AddIntervention = { kind: 'add', vector: 'v', coefficient: 1 };
    const rot: RotateIntervention = { kind: 'rotate', plane: 'p', mode: 'angular', angle: 45 };
    expect(InterventionSchema.parse(r)).toEqual(r);
    expect(InterventionSchema.parse(rot)).toEqual(rot);
    expect(
      VectorRecipeSchema.safeParse({
        from: 'contrast',
        model: 'm',
        pairs: [],
        hook: 'resid_post',
        layers: [1],
        position: { kind: 'last' },
        method: 'mean',
      }).success,
    ).toBe(false);
  });
});
