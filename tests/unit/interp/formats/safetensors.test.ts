import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../../../src/engine';
import { parseSafetensors } from '../../../../src/engine/weights';
import { vectorFromSafetensors, vectorToSafetensors } from '../../../../src/interp/formats/safetensors';
import type { SteeringVector } from '../../../../src/interp/vector';
import { randomArray } from '../../../support/steering';

describe('safetensors vector files', () => {
  it('round-trips exactly, one tensor per layer named by its hook point', () => {
    const v: SteeringVector = {
      modelId: 'm',
      hook: 'resid_post',
      width: 6,
      rows: 1,
      layers: { 1: randomArray(6, 1), 3: randomArray(6, 2) },
      recipe: { from: 'refusal', model: 'm', harmful: ['a'], harmless: ['b'], position: -2, layer: 3 },
    };
    const bytes = vectorToSafetensors(v);
    expect(parseSafetensors(bytes, 'v').names).toEqual([
      'blocks.1.hook_resid_post',
      'blocks.3.hook_resid_post',
    ]);
    expect(vectorFromSafetensors(bytes)).toEqual(v);
    const rows: SteeringVector = { ...v, rows: 2, layers: { 0: randomArray(12, 5) } };
    delete (rows as { recipe?: unknown }).recipe;
    expect(vectorFromSafetensors(vectorToSafetensors(rows))).toEqual(rows);
  });

  it('rejects a safetensors file that is not a Rudder vector', () => {
    const other = writeSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } }, { format: 'pt' });
    expect(() => vectorFromSafetensors(other, 'w.safetensors')).toThrow(
      /w\.safetensors: is not a Rudder vector/,
    );
  });
});
