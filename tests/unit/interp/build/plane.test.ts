import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../../src/engine';
import {
  buildPlane,
  discriminativeModules,
  type ModuleActivations,
  planeFromActivations,
} from '../../../../src/interp/build/plane';
import { cosine, dot, unit } from '../../../../src/interp/linalg';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { gpt2Spec, randomModel } from '../../../support/random-model';
import { randomArray } from '../../../support/steering';

const D = 16;

function module(layer: number, pos: Float32Array[], neg: Float32Array[]): ModuleActivations {
  return { module: { layer, point: 'ln1_normalized' }, positive: pos, negative: neg };
}

describe('steering plane', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(gpt2Spec({ nLayers: 3 }), 2);
  });
  afterAll(() => model.dispose());

  it('takes b1 from the module direction most aligned with the others and b2 orthonormal to it', () => {
    const shared = unit(randomArray(D, 1));
    const odd = unit(randomArray(D, 2));
    const mk = (dir: Float32Array, l: number, wobble: number) =>
      module(l, [dir.map((x, j) => x + wobble * randomArray(D, 10 + l)[j]!)], [new Float32Array(D)]);
    const acts = [mk(shared, 0, 0.1), mk(shared, 1, 0.0), mk(shared, 2, 0.2), mk(odd, 3, 0)];
    const { b1, b2 } = planeFromActivations(acts);
    expect(cosine(b1, shared)).toBeGreaterThan(0.999);
    expect(Math.abs(dot(b1, b2))).toBeLessThan(1e-6);
    expect(Math.hypot(...b2)).toBeCloseTo(1, 5);
  });

  it('keeps a module only when the two sides project onto b1 with opposite signs', () => {
    const b1 = unit(randomArray(D, 5));
    const along = (s: number) => [b1.map((x) => s * x)];
    const acts = [
      module(0, along(1), along(-1)),
      module(1, along(1), along(0.5)),
      module(2, along(-2), along(3)),
    ];
    expect(discriminativeModules(acts, b1).map((m) => m.layer)).toEqual([0, 2]);
  });

  it('builds from prompts with every norm output as a module unless asked to select', async () => {
    const opts = {
      positive: [
        [1, 2, 3],
        [1, 4, 5, 6],
      ],
      negative: [
        [1, 9, 8],
        [1, 7],
      ],
    };
    const all = await expectNoLeaks(() => buildPlane(model, opts));
    expect(all.modules).toHaveLength(6);
    expect(all.recipe).toMatchObject({ from: 'plane', discriminative: false });
    const some = await buildPlane(model, { ...opts, discriminative: true });
    expect(some.modules.length).toBeLessThanOrEqual(6);
    expect(Array.from(some.b1)).toEqual(Array.from(all.b1));
  });
});
