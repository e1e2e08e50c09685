/**
 * The function vectors view's worker job on the shipped Llama organism (skipped when it is not
 * built): its figures are interp's own (buildFunctionVector with the zero-shot corruption on the
 * task's first half, evaluateFunctionVector on the held-out half), the experiment's k, layer and
 * corruption reach it, progress runs through every stage, Stop and a newer run end it as cancelled, a task
 * the folder lacks is named, and no tensor is left behind.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { buildFunctionVector, evaluateFunctionVector, iclTasks, readOrganismData } from '../../../src/interp';
import type { FunctionVectorProgress } from '../../../src/worker/api';
import { createHost, type ModelHost } from '../../../src/worker/host';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');
const TASK = 'past_tense';
const exp = (fv: { task?: string; k?: number; layer?: number; corruption?: 'zero-shot' | 'shuffled' }) => ({
  version: 1 as const,
  view: { fv },
});

describe.skipIf(!existsSync(resolve(DIR, 'config.json')))('the function vector job in the worker', () => {
  let model: Model;
  let host: ModelHost;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    host = createHost();
    host.adopt(model, dirSource(DIR), { name: 'wasm', reason: 'test' });
  }, 120_000);
  afterAll(() => host?.dispose());

  it("lists the folder's tasks, split in halves", async () => {
    const tasks = await host.functionVectorTasks();
    expect(tasks.map((t) => t.name)).toContain(TASK);
    for (const t of tasks) {
      expect(t.build).toBeGreaterThan(0);
      expect(t.heldOut).toBeGreaterThanOrEqual(t.build);
    }
  });

  it("answers with interp's own figures for the experiment's task, k and layer", async () => {
    const data = await readOrganismData(dirSource(DIR));
    const { build, heldOut } = iclTasks(data).get(TASK)!;
    const opts = { corruption: 'zero-shot', topHeads: 3, layer: 2 } as const;
    const want = await buildFunctionVector(model, build, data.fewShotFormat, opts);
    const figures = await evaluateFunctionVector(model, want, heldOut, { format: data.fewShotFormat });
    const progress: FunctionVectorProgress[] = [];
    const got = await expectNoLeaks(() =>
      host.functionVector({ experiment: exp({ task: TASK, k: 3, layer: 2 }) }, (p) => progress.push(p)),
    );
    expect(got).toMatchObject({
      task: TASK,
      corruption: 'zero-shot',
      layer: 2,
      k: 3,
      nLayers: model.spec.nLayers,
      nHeads: model.spec.nHeads,
      built: build.length,
      heldOut: heldOut.length,
      fewShot: figures.fewShot,
      zeroShot: figures.zeroShot,
      zeroShotFv: figures.zeroShotFv,
      readout: figures.readout,
      readoutIsAnswer: figures.readoutIsAnswer,
      answersInReadout: figures.answersInReadout,
    });
    expect([...got.aie]).toEqual([...want.aie]);
    expect(got.heads).toEqual(want.heads);
    expect([...got.fv]).toEqual([...want.fv]);
    expect(got.items.map((i) => i.zeroShotFv)).toEqual(figures.zeroShotFvCorrect);
    expect(got.items[0]!.prompt).toBe(`${heldOut[0]!.query} ->`);
    // Every stage reported, the patching batch once per corrupted prompt.
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['means', 'effects', 'evaluate']));
    expect(progress.filter((p) => p.stage === 'effects').at(-1)).toEqual({
      stage: 'effects',
      done: build.length,
      total: build.length,
    });
  }, 300_000);

  it("builds on the experiment's corruption: shuffled labels give interp's shuffled AIE", async () => {
    const data = await readOrganismData(dirSource(DIR));
    const { build } = iclTasks(data).get(TASK)!;
    const opts = { corruption: 'shuffled', topHeads: 3, layer: 2 } as const;
    const want = await buildFunctionVector(model, build, data.fewShotFormat, opts);
    const got = await host.functionVector({
      experiment: exp({ task: TASK, k: 3, layer: 2, corruption: 'shuffled' }),
    });
    expect(got.corruption).toBe('shuffled');
    expect([...got.aie]).toEqual([...want.aie]);
    expect(got.heads).toEqual(want.heads);
    const zeroShot = await buildFunctionVector(model, build, data.fewShotFormat, {
      ...opts,
      corruption: 'zero-shot',
    });
    expect([...got.aie]).not.toEqual([...zeroShot.aie]);
  }, 300_000);

  it('defaults k and the layer as METHODS.md §13 says', async () => {
    const got = await host.functionVector({ experiment: exp({ task: TASK }) });
    const { nLayers: L, nHeads: H } = model.spec;
    expect(got.k).toBe(Math.ceil((L * H) / 8));
    expect(got.layer).toBe(Math.round(L / 3));
  }, 300_000);

  it('stops on Stop and when a newer run starts, leaving no tensor behind', async () => {
    const before = (await import('@tensorflow/tfjs-core')).memory().numTensors;
    const stopped = host.functionVector({ experiment: exp({ task: TASK }) }, () => host.stopFunctionVector());
    await expect(stopped).rejects.toMatchObject({ code: 'cancelled' });
    // Stop as a worker receives it: a message handled once the job lets the event loop run.
    const running = host.functionVector({ experiment: exp({ task: TASK }) });
    setTimeout(() => host.stopFunctionVector(), 0);
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    const older = host.functionVector({ experiment: exp({ task: TASK }) });
    const newer = host.functionVector({ experiment: exp({ task: 'antonym', k: 1 }) });
    await expect(older).rejects.toMatchObject({ code: 'cancelled' });
    expect((await newer).task).toBe('antonym');
    expect((await import('@tensorflow/tfjs-core')).memory().numTensors).toBe(before);
  }, 300_000);

  it('names the tasks when asked for one the folder lacks, and asks for a pick when none is set', async () => {
    await expect(host.functionVector({ experiment: exp({ task: 'juggling' }) })).rejects.toThrow(
      /no few-shot task "juggling"; its tasks are .*past_tense/,
    );
    await expect(host.functionVector({ experiment: exp({}) })).rejects.toMatchObject({ code: 'no-task' });
    await expect(host.functionVector({ experiment: exp({ task: TASK, layer: 99 }) })).rejects.toMatchObject({
      code: 'bad-layer',
    });
  }, 60_000);
});
