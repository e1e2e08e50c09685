/**
 * The refusal workflow's worker side on the shipped Llama organism (skipped when it is not built),
 * with small sets so that it runs in seconds: every candidate is scored, the choice follows the
 * filters, the recipe rebuilds exactly the direction that was scored, the profile and the circuit
 * come back as plain numbers, a stale run stops, and no tensor is left behind.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import {
  buildFromRecipe,
  encodeInput,
  findRefusalDirection,
  type RefusalFound,
  type RefusalRecipe,
  refusalProfile,
  refusalReferences,
  type SteeringVector,
} from '../../../src/interp';
import { createHost, type ModelHost } from '../../../src/worker/host';
import { VectorStore } from '../../../src/worker/vectors';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { withoutSyncReads } from '../../support/sync-reads';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');

describe.skipIf(!existsSync(resolve(DIR, 'config.json')))('the refusal workflow in the worker', () => {
  let model: Model;
  let host: ModelHost;
  let found: RefusalFound;
  let direction: SteeringVector;
  let sets: { harmful: readonly string[]; harmless: readonly string[] };
  const stages: string[] = [];

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    host = createHost();
    host.adopt(model, dirSource(DIR), { name: 'wasm', reason: 'test' });
    sets = await host.refusalSets();
    // Read back asynchronously only, as the worker must (a synchronous read breaks WebGPU there).
    ({ found, direction } = (await withoutSyncReads(() =>
      expectNoLeaks(() =>
        findRefusalDirection(model, sets, {
          maxBuild: 6,
          maxVal: 3,
          onProgress: (p) => stages.push(`${p.stage} ${p.done}/${p.total}`),
        }),
      ),
    )) as { found: RefusalFound; direction: SteeringVector });
  }, 300_000);
  afterAll(() => host?.dispose());

  /** The refusal view's profile: references from the recipe's sets, then the prompt (chat). */
  async function profile(r: RefusalRecipe, v: SteeringVector, prompt: string) {
    const dir = v.layers[r.layer]!;
    const refs = await refusalReferences(model, r, dir, r.position);
    return refusalProfile(model, encodeInput(model, prompt, { chat: true }), dir, r.position, refs);
  }

  it("reads the model's own sets from its folder", () => {
    expect(sets.harmful.length).toBeGreaterThan(3);
    expect(sets.harmless.length).toBeGreaterThan(3);
  });

  it('scores every candidate (position × layer) and reports progress for each', () => {
    const { positions, layers, scores } = found;
    expect(layers).toEqual([...Array(model.spec.nLayers).keys()]);
    expect(positions.every((p) => p < 0)).toBe(true);
    expect(scores.length).toBe(positions.length * layers.length);
    for (const s of scores) for (const v of [s.bypass, s.induce, s.kl]) expect(Number.isFinite(v)).toBe(true);
    expect(stages.filter((s) => s.startsWith('score ')).length).toBe(scores.length + 1);
    expect(stages.at(-1)).toBe(`score ${scores.length}/${scores.length}`);
  });

  it('drops by the filters of §5 and marks exactly one candidate, chosen or offered', () => {
    for (const s of found.scores) {
      expect(s.dropped.includes('late-layer')).toBe(s.layer >= 0.8 * model.spec.nLayers);
      expect(s.dropped.includes('kl')).toBe(s.kl > found.maxKl);
      expect(s.dropped.includes('induce')).toBe(s.induce < 0);
    }
    const kept = found.scores.filter((s) => s.dropped.length === 0);
    if (kept.length) {
      expect(found.chosen?.bypass).toBe(Math.min(...kept.map((s) => s.bypass)));
      expect(found.fallback).toBeUndefined();
    } else {
      expect(found.chosen).toBeUndefined();
      expect(found.fallback?.dropped.length).toBeGreaterThan(0);
    }
    const marked = found.chosen ?? found.fallback!;
    expect(found.vector).toMatchObject({ from: 'refusal', layer: marked.layer, position: marked.position });
  });

  it('splits, caps and filters the sets it was given', () => {
    expect(found.harmful.given).toBe(sets.harmful.length);
    expect(found.harmful.build).toBeLessThanOrEqual(6);
    expect(found.harmful.val).toBeLessThanOrEqual(3);
    expect(found.vector!.harmful.length).toBe(found.harmful.build);
    expect(found.vector!.harmless.length).toBe(found.harmless.build);
  });

  it('rebuilds from its recipe exactly the direction it scored', async () => {
    const r = found.vector!;
    const seeded = direction.layers[r.layer]!;
    const rebuilt = (await buildFromRecipe(model, r)).layers[r.layer]!;
    expect(rebuilt.length).toBe(model.spec.dModel);
    let maxDiff = 0;
    for (let i = 0; i < rebuilt.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rebuilt[i]! - seeded[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it("rebuilds another layer's direction and profiles with it, reading back asynchronously only", async () => {
    const r = { ...found.vector!, layer: (found.vector!.layer + 1) % model.spec.nLayers };
    const built = await withoutSyncReads(() => new VectorStore(model).build(r));
    expect(built.info.cached).toBe(false);
    expect(built.info.residualNorms[0]).toBeGreaterThan(0);
    const p = await withoutSyncReads(() => profile(r, built.vector, r.harmful[0] as string));
    expect(p.prompt.every(Number.isFinite)).toBe(true);
    expect(p.harmful).toHaveLength(model.spec.nLayers + 1);
  });

  it("profiles a prompt per residual point; a harmful reference's own prompt sits with the harmful mean", async () => {
    const r = found.vector!;
    const p = await expectNoLeaks(() => profile(r, direction, r.harmful[0] as string));
    expect(p.labels.length).toBe(model.spec.nLayers + 1);
    expect(p.prompt.length).toBe(p.labels.length);
    expect(p.position).toBe(r.position);
    // At the direction's own layer, harmful prompts project higher than harmless ones.
    expect(p.harmful[r.layer]!).toBeGreaterThan(p.harmless[r.layer]!);
    const last = p.labels.length - 1;
    expect(Math.abs(p.prompt[last]! - p.harmful[last]!)).toBeLessThan(
      Math.abs(p.prompt[last]! - p.harmless[last]!),
    );
  });

  it('stops with a cancelled error once a newer run makes it stale', async () => {
    await expect(
      findRefusalDirection(model, sets, { maxBuild: 3, maxVal: 2, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'cancelled',
    });
  });

  it('says so in words when the model refuses none of the harmful instructions', async () => {
    await expect(
      findRefusalDirection(model, {
        harmful: sets.harmless.slice(0, 6),
        harmless: sets.harmless.slice(6, 12),
      }),
    ).rejects.toMatchObject({ code: 'no-refusal' });
  });
});
