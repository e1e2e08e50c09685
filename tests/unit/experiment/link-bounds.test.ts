/**
 * The probes of issue 17 against links: every number bounded, inline vectors decoded and checked,
 * positions bounded, layers the model lacks refused, and any name usable for a vector or plane.
 */
import { describe, expect, it } from 'vitest';
import {
  decode,
  type Experiment,
  ExperimentError,
  encode,
  float16ToBase64,
  importExperiment,
  steeredPlan,
  vectorScaleWarnings,
} from '../../../src/experiment';
import { experimentFrom } from '../../../src/experiment/validate';

/** The link's experiment, or the ExperimentError's message (anything else fails the test). */
function opened(data: unknown): Experiment | string {
  try {
    return experimentFrom(data, 'link');
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return (e as ExperimentError).message;
  }
}

const inline = (values: number[]) => ({
  from: 'inline',
  hook: 'resid_pre',
  width: values.length,
  layers: { 2: float16ToBase64(values) },
});

describe('numbers in a link', () => {
  it('refuses an inline vector holding NaN or infinity, naming the layer', () => {
    for (const [bad, what] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'an infinity'],
    ] as const) {
      const message = opened({ version: 1, steering: { vector: inline([1, bad, 2, 3]) } });
      expect(message).toMatch(`steering.vector.layers.2: holds ${what} at index 1`);
    }
  });

  it('refuses an all-zero inline vector: it would steer nothing', () => {
    expect(opened({ version: 1, steering: { vector: inline([0, 0, 0, 0]) } })).toMatch(
      'steering.vector.layers.2: is all zeros, so steering with it would do nothing',
    );
  });

  it('refuses a coefficient, rotation angle or units alpha of 1e308 wherever it appears', () => {
    const huge = 1e308;
    for (const [data, field] of [
      [{ steering: { coefficient: huge } }, 'steering.coefficient'],
      [{ steering: { angle: huge } }, 'steering.angle'],
      [{ steering: { alpha: -huge } }, 'steering.alpha'],
      [{ interventions: [{ kind: 'add', vector: 'v', coefficient: huge }] }, 'interventions.0.coefficient'],
      [
        { interventions: [{ kind: 'rotate', plane: 'p', mode: 'selective', angle: huge }] },
        'interventions.0.angle',
      ],
      [{ interventions: [{ kind: 'units', units: 'u', alpha: huge }] }, 'interventions.0.alpha'],
      [{ interventions: [{ kind: 'ablate', vector: 'v', strength: huge }] }, 'interventions.0.strength'],
      [
        {
          interventions: [
            { kind: 'layer-weighted', vector: 'v', strength: 1, weights: [{ layer: 1, weight: huge }] },
          ],
        },
        'interventions.0.weights.0.weight',
      ],
      [
        { interventions: [{ kind: 'guard', vector: 'v', layer: 1, coefficient: huge }] },
        'interventions.0.coefficient',
      ],
    ] as const) {
      expect(opened({ version: 1, ...data }), field).toMatch(
        new RegExp(`\\(${field.replaceAll('.', '\\.')}: Too (big|small)`),
      );
    }
  });

  it('bounds position indices, so ±1e15 is refused in the link rather than failing in a run', () => {
    for (const index of [1e15, -1e15]) {
      const message = opened({ version: 1, steering: { position: { kind: 'index', index } } });
      expect(message).toMatch(/steering\.position\.index: Too (big|small)/);
    }
    expect(opened({ version: 1, steering: { positions: { kind: 'from', start: 1e15 } } })).toMatch(
      /steering\.positions\.start: Too big/,
    );
    const ok = opened({ version: 1, steering: { position: { kind: 'index', index: -3 } } }) as Experiment;
    expect(ok.steering.position).toEqual({ kind: 'index', index: -3 });
  });

  it('bounds head and token numbers', () => {
    const gate = { kind: 'gate', heads: [{ layer: 0, head: 1e12, mode: 'zero' }] };
    expect(opened({ version: 1, interventions: [gate] })).toMatch(
      /interventions\.0\.heads\.0\.head: Too big/,
    );
    expect(opened({ version: 1, view: { lens: { track: 1e9 } } })).toMatch(/view\.lens\.track: Too big/);
  });
});

describe('layers the model does not have', () => {
  it('makes steering.layers [1024] on an 8-layer model an error that says which layer, not the middle one', () => {
    const e = opened({ version: 1, steering: { layers: [1024], pairs: [{ positive: 'a', negative: 'b' }] } });
    expect(() => steeredPlan(e as Experiment, { id: 'm', nLayers: 8 }).interventions).toThrow(
      'The experiment steers layer 1024, but this model has layers 0 to 7.',
    );
  });
});

describe('names of vectors and planes', () => {
  const recipe = { from: 'import', format: 'json' };
  const plane = { from: 'plane', model: 'm', positive: ['a'], negative: ['b'], discriminative: false };

  it('accepts constructor, __proto__ and toString as names, through a link and back', async () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    const text = `{"version":1,"vectors":{${names.map((n) => `"${n}":${JSON.stringify(recipe)}`).join(',')}},"planes":{"constructor":${JSON.stringify(plane)}}}`;
    const exp = importExperiment(text);
    expect(Object.keys(exp.vectors)).toEqual(names);
    expect(Object.keys(exp.planes)).toEqual(['constructor']);
    const back = (await decode(await encode(exp)))!;
    expect(Object.keys(back.vectors)).toEqual(names);
    const recipes = steeredPlan(back, { id: 'm', nLayers: 8 }).vectors;
    expect(recipes.constructor).toEqual(recipe);
    expect(recipes.valueOf).toBeUndefined();
    expect(steeredPlan(back, { id: 'm', nLayers: 8 }).planes.constructor).toEqual(plane);
  });

  it('refuses only the entry at fault, naming it', () => {
    const message = opened({ version: 1, vectors: { constructor: { from: 'nope' } } });
    expect(message).toMatch(/^This link holds an experiment that is not valid \(vectors\.constructor\.from:/);
    expect(opened({ version: 1, vectors: 'x' })).toMatch(/vectors: must be an object of named entries/);
  });
});

describe('scale warnings', () => {
  it('warns of a vector 10^5 times the residual stream, and of one 10^5 times smaller', () => {
    expect(vectorScaleWarnings([3, 4, 5], [1e5, 1, 1e-5], [1, 2, 1])).toEqual([
      "At layer 3 the vector's norm is 100,000 times the residual stream's: it was likely made for another model or scale, and even small coefficients will swamp the model.",
      "At layer 5 the vector's norm is 100,000 times smaller than the residual stream's: steering with it may need coefficients beyond the slider's range.",
    ]);
  });
});
