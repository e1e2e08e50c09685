/**
 * `rudder replay`: a shared link (or the experiment exported as a file) gives the baseline and the
 * steered text of the page's own generation job (the worker's host, run here in Node on
 * WebAssembly as the page runs it in its worker). The page itself is compared in
 * tests/e2e/replay.e2e.ts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel } from '../../../src/engine/node';
import {
  EXPERIMENT_VERSION,
  type Experiment,
  ExperimentSchema,
  encode,
  exportExperiment,
} from '../../../src/experiment';
import { createHost } from '../../../src/worker/host';
import { useBackend } from '../../support/backend';
import { rudder } from '../../support/cli';
import { type TempFolder, tempFolder } from '../../support/model-folder';

const PAIRS = [
  { positive: 'I love this, it is wonderful', negative: 'I hate this, it is awful' },
  { positive: 'What a happy, bright day', negative: 'What a sad, gloomy day' },
  { positive: 'She smiled with joy', negative: 'She wept with grief' },
];

/**
 * The default shipped organism, steered by sentiment pairs at its middle layer; in norm units (what
 * a preset sets), the strength is in multiples of the typical norm on the organism's own openings.
 */
function experiment(temperature: number, unit: 'raw' | 'norm' = 'raw'): Experiment {
  return ExperimentSchema.parse({
    version: EXPERIMENT_VERSION,
    prompt: { text: 'I think that the movie was' },
    generation: { maxTokens: 10, temperature, seed: 7 },
    steering: { pairs: PAIRS, layers: [3], unit, coefficient: unit === 'norm' ? 0.4 : 8 },
  });
}

interface Replayed {
  baseline: string;
  steered: string | null;
}

/** What the page's worker answers for the experiment, on this process's backend (its model from its folder). */
async function pageJob(exp: Experiment): Promise<Replayed> {
  const host = createHost();
  const source = dirSource('models/organism-llama');
  const { precision } = exp.model;
  host.adopt(await loadModel(source, precision ? { precision } : {}), source, {
    name: 'wasm',
    reason: 'test',
  });
  try {
    const out = await host.generate({ experiment: exp, sides: 'both' });
    return { baseline: out.baseline!.text, steered: out.steered!.text };
  } finally {
    host.dispose();
  }
}

describe('rudder replay', () => {
  let tmp: TempFolder;
  beforeAll(async () => {
    await useBackend('wasm');
    tmp = await tempFolder({});
  });
  afterAll(() => tmp.remove());

  for (const [temperature, unit] of [
    [0, 'raw'],
    [0.8, 'raw'],
    [0.8, 'norm'],
  ] as const) {
    it(`prints the page's baseline and steered text for a link and for its file (temperature ${temperature}, ${unit} units)`, async () => {
      const exp = experiment(temperature, unit);
      const link = `http://localhost:5173/#${await encode(exp)}`;
      const replayed = await rudder('replay', link, '--json');
      expect(replayed.code, replayed.stderr).toBe(0);
      const fromLink = JSON.parse(replayed.stdout) as Replayed;
      const want = await pageJob(exp);
      expect(fromLink).toMatchObject(want);
      expect(fromLink.baseline.length).toBeGreaterThan(0);
      expect(fromLink.steered).not.toBe(fromLink.baseline);

      const file = join(tmp.dir, `experiment-${temperature}-${unit}.json`);
      await import('node:fs/promises').then((fs) => fs.writeFile(file, exportExperiment(exp)));
      const fromFile = await rudder('replay', file, '--json');
      expect(JSON.parse(fromFile.stdout)).toMatchObject(want);

      const text = await rudder('replay', link);
      expect(text.stdout).toBe(`baseline: ${want.baseline}\nsteered: ${want.steered}`);
    });
  }

  it('rounds the model to 16-bit weights when the link did, as the page did', async () => {
    const exp = {
      ...experiment(0.8, 'norm'),
      model: { kind: 'shipped' as const, name: 'organism-llama', precision: 'bfloat16' as const },
    };
    const replayed = await rudder('replay', await encode(exp), '--json');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/matrices rounded to bfloat16/);
    expect(JSON.parse(replayed.stdout)).toMatchObject(await pageJob(exp));

    const unknown = await rudder('replay', await encode(exp), '--precision', 'int8');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--precision int8 is not known; the one choice is --precision bfloat16/);
  });

  it('says when nothing steers, and names what is missing for a model it cannot find', async () => {
    const plain = ExperimentSchema.parse({
      version: EXPERIMENT_VERSION,
      generation: { maxTokens: 4, temperature: 0 },
    });
    const out = await rudder('replay', await encode(plain));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^baseline: .+\nsteered: \(nothing steers in this experiment\)$/s);

    const dropped = { ...plain, model: { kind: 'files' as const, label: 'my-model' } };
    const missing = await rudder('replay', await encode(dropped));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/dropped on the page \("my-model"\); give --model/);
  });

  it("answers a broken link with the page's message, and a missing argument with its usage", async () => {
    const broken = await rudder('replay', 'http://localhost:5173/#e1.zz.not-a-link');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/rudder replay: .*link/i);
    const none = await rudder('replay');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give one <link\|experiment\.json>/);
  });
});
