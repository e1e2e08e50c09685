import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RudderError } from '../../../../src/engine';
import { vectorFromGguf, vectorToGguf } from '../../../../src/interp/formats/control-vector';
import { readGguf } from '../../../../src/interp/formats/gguf';
import { IncompatibleVectorError, type SteeringVector } from '../../../../src/interp/vector';
import { randomArray } from '../../../support/steering';

const D = 16;
const model = { id: 'organism', spec: { nLayers: 8, dModel: D, dMlp: 64 } };

function vector(hook: SteeringVector['hook'], layers: number[]): SteeringVector {
  const data: Record<number, Float32Array> = {};
  for (const l of layers) data[l] = randomArray(D, l + 1);
  return {
    modelId: 'organism',
    hook,
    width: D,
    rows: 1,
    layers: data,
    recipe: {
      from: 'contrast',
      model: 'organism',
      pairs: [{ positive: 'a', negative: 'b' }],
      hook,
      layers,
      position: { kind: 'last' },
      method: 'mean',
    },
  };
}

describe('llama.cpp control-vector GGUF', () => {
  it('writes resid_post layer N as direction.N and resid_pre layer N as direction.N−1', () => {
    const post = readGguf(vectorToGguf(vector('resid_post', [2, 5]), { modelHint: 'llama' }));
    expect(post.tensors.map((t) => t.name)).toEqual(['direction.2', 'direction.5']);
    expect(post.metadata.get('controlvector.model_hint')).toEqual({ type: 'string', value: 'llama' });
    expect(post.metadata.get('controlvector.layer_count')).toEqual({ type: 'int32', value: 2 });
    const pre = readGguf(vectorToGguf(vector('resid_pre', [3]), { modelHint: 'llama' }));
    expect(pre.tensors.map((t) => t.name)).toEqual(['direction.2']);
  });

  for (const hook of ['resid_post', 'resid_pre'] as const) {
    it(`round-trips a ${hook} vector exactly, recipe included`, () => {
      const v = vector(hook, [2, 4]);
      expect(vectorFromGguf(vectorToGguf(v, { modelHint: 'gpt2' }), { model })).toEqual(v);
    });
  }

  it('refuses what llama.cpp cannot express', () => {
    const hint = { modelHint: 'llama' };
    expect(() => vectorToGguf(vector('resid_post', [0, 3]), hint)).toThrow(/block 0/);
    expect(() => vectorToGguf(vector('resid_pre', [1]), hint)).toThrow(/block 0/);
    expect(() => vectorToGguf(vector('attn_out', [3]), hint)).toThrow(RudderError);
    expect(() =>
      vectorToGguf({ ...vector('resid_post', [3]), rows: 2, layers: { 3: randomArray(2 * D, 1) } }, hint),
    ).toThrow(/per-position/);
  });

  it('imports a repeng file as resid_post directions bound to the given model', () => {
    const expected = JSON.parse(readFileSync('tests/fixtures/vectors/expected.json', 'utf8'));
    const v = vectorFromGguf(new Uint8Array(readFileSync('tests/fixtures/vectors/repeng-style.gguf')), {
      model,
    });
    expect(v.modelId).toBe('organism');
    expect(v.hook).toBe('resid_post');
    expect(Object.keys(v.layers)).toEqual(['1', '2', '5', '6']);
    expect(Array.from(v.layers[5]!)).toEqual(expected.directions['5'].map(Math.fround));
    expect(v.recipe).toEqual({ from: 'import', format: 'gguf', modelHint: 'llama' });
  });

  it('refuses a file for another width or depth, or made by Rudder for another model', () => {
    const bytes = new Uint8Array(readFileSync('tests/fixtures/vectors/repeng-style.gguf'));
    expect(() => vectorFromGguf(bytes, { model: { ...model, spec: { ...model.spec, dModel: 32 } } })).toThrow(
      IncompatibleVectorError,
    );
    expect(() => vectorFromGguf(bytes, { model: { ...model, spec: { ...model.spec, nLayers: 4 } } })).toThrow(
      IncompatibleVectorError,
    );
    const ours = vectorToGguf(vector('resid_post', [2]), { modelHint: 'llama' });
    expect(() => vectorFromGguf(ours, { model: { ...model, id: 'other' } })).toThrow(IncompatibleVectorError);
  });
});
