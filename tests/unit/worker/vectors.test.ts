import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { defaultExperiment, STEERING_VECTOR, steeredPlan } from '../../../src/experiment';
import type { BuildProgress } from '../../../src/worker/api';
import { VectorStore } from '../../../src/worker/vectors';
import { useBackend } from '../../support/backend';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');

/** A contrast recipe of the model from pairs (one batch of prompts: the build is stale-checked once). */
function recipe(model: Model, pairs: readonly (readonly [string, string])[]) {
  const s = defaultExperiment().steering;
  const r = steeredPlan(
    {
      ...defaultExperiment(),
      steering: { ...s, pairs: pairs.map(([positive, negative]) => ({ positive, negative })), layers: [2] },
    },
    { id: model.id, nLayers: model.spec.nLayers },
  ).vectors[STEERING_VECTOR];
  if (r?.from !== 'contrast') throw new Error('no recipe');
  return r;
}

describe('the vector store’s cancellation slot', () => {
  let model: Model;
  let joy: ReturnType<typeof recipe>;
  let rain: ReturnType<typeof recipe>;
  let gift: ReturnType<typeof recipe>;

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    joy = recipe(model, [
      ['She smiled with joy', 'She wept with grief'],
      ['What a happy day', 'What a sad day'],
    ]);
    rain = recipe(model, [
      ['The sun came out', 'The rain came down'],
      ['A warm bright morning', 'A cold dark night'],
    ]);
    gift = recipe(model, [
      ['The best gift ever', 'The worst loss ever'],
      ['I love this', 'I hate this'],
    ]);
  });
  afterAll(() => model?.dispose());

  it('lets a build that is reading finish while an already built vector is resolved', async () => {
    const store = new VectorStore(model);
    await store.build(joy);
    const reading = store.build(rain);
    // A lens or a steered run resolving the cached vector while the other one is still reading.
    const again = await store.build(joy);
    expect(again.info.cached).toBe(true);
    const built = await reading;
    expect(built.info.cached).toBe(false);
    expect(built.info.layers).toEqual([2]);
  });

  it('shares one read between two builds of the same pairs, progress included', async () => {
    const store = new VectorStore(model);
    const first: BuildProgress[] = [];
    const second: BuildProgress[] = [];
    const a = store.build(rain, (p) => first.push(p));
    const b = store.build({ ...rain, method: rain.method }, (p) => second.push(p));
    const [va, vb] = await Promise.all([a, b]);
    expect([...vb.vector.layers[2]!]).toEqual([...va.vector.layers[2]!]);
    expect(second.at(-1)).toEqual({ done: 4, total: 4 });
    expect(first.at(-1)).toEqual({ done: 4, total: 4 });
  });

  it('still cancels a stale read when a build of other pairs must read activations', async () => {
    const store = new VectorStore(model);
    const stale = store.build(joy);
    const fresh = store.build(gift);
    await expect(stale).rejects.toMatchObject({ code: 'cancelled' });
    expect((await fresh).info.cached).toBe(false);
    // The cancelled pairs are read again on demand.
    expect((await store.build(joy)).info.cached).toBe(false);
  });
});
