import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../../../src/engine';
import { vectorFromJson, vectorToJson } from '../../../../src/interp/formats/json';
import type { SteeringVector } from '../../../../src/interp/vector';
import { randomArray } from '../../../support/steering';

const ACTADD: SteeringVector = {
  modelId: 'm',
  hook: 'resid_pre',
  width: 8,
  rows: 3,
  layers: { 6: Float32Array.of(...randomArray(24, 3).slice(0, 23), Number.MIN_VALUE) },
  recipe: { from: 'actadd', model: 'm', positive: 'Love', negative: 'Hate', layer: 6 },
};

describe('JSON vector files', () => {
  it('round-trips values bit for bit, rows and recipe included', () => {
    expect(vectorFromJson(vectorToJson(ACTADD))).toEqual(ACTADD);
    const plain: SteeringVector = {
      modelId: 'x',
      hook: 'mlp_post',
      width: 4,
      rows: 1,
      layers: { 0: randomArray(4, 1), 9: randomArray(4, 2) },
    };
    expect(vectorFromJson(vectorToJson(plain))).toEqual(plain);
  });

  it('rejects files that are not Rudder vectors or do not add up', () => {
    const good = JSON.parse(vectorToJson(ACTADD));
    const bad = (patch: object) => JSON.stringify({ ...good, ...patch });
    expect(() => vectorFromJson('nope', 'v.json')).toThrow(/v\.json: is not valid JSON/);
    expect(() => vectorFromJson(bad({ format: 'other' }))).toThrow(WeightsFormatError);
    expect(() => vectorFromJson(bad({ rows: 2 }))).toThrow(/expected 2 × 8/);
    expect(() => vectorFromJson(bad({ hook: 'hook_q' }))).toThrow(/names hook/);
    expect(() => vectorFromJson(bad({ recipe: { from: 'magic' } }))).toThrow(/recipe of unknown kind/);
  });
});
