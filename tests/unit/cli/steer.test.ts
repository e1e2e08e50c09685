import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { steerCommand } from '../../../src/cli/steer';
import { dirSource, loadModel } from '../../../src/engine/node';
import { defaultExperiment } from '../../../src/experiment';
import {
  buildContrastVector,
  vectorFromGguf,
  vectorFromJson,
  vectorFromSafetensors,
} from '../../../src/interp';
import { useBackend } from '../../support/backend';
import { type TempFolder, tempFolder } from '../../support/model-folder';

const MODEL = 'tests/fixtures/reference/gpt2-tiny';
/** Where the vectors of these tests are read (the files written from them say so). */
const READ_AT = ['--hook', 'resid_post', '--position', 'last'];
const PAIRS = [
  { positive: [1, 5, 9, 4], negative: [1, 5, 9, 7] },
  { positive: [1, 8, 3], negative: [1, 8, 6] },
];

describe('rudder steer', () => {
  let tmp: TempFolder;
  beforeAll(async () => {
    await useBackend('wasm');
    tmp = await tempFolder({ 'pairs.json': JSON.stringify(PAIRS) });
  });
  afterAll(() => tmp.remove());

  /** Runs the command in-process; returns what it printed to stdout. */
  async function steer(args: string[]): Promise<string> {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await steerCommand(args);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    return out.join('\n');
  }

  it('builds the vector from a pairs file and writes it in every format', async () => {
    const model = await loadModel(dirSource(MODEL));
    const want = await buildContrastVector(model, {
      pairs: PAIRS,
      hook: 'resid_post',
      layers: [1, 2],
      position: { kind: 'last' },
      method: 'mean',
    });
    model.dispose();
    const base = ['--model', MODEL, '--pairs', join(tmp.dir, 'pairs.json'), '--layer', '1,2', ...READ_AT];
    for (const ext of ['json', 'safetensors', 'gguf'])
      await steer([...base, '--out', join(tmp.dir, `v.${ext}`)]);
    const bytes = (ext: string) => readFile(join(tmp.dir, `v.${ext}`));
    const json = vectorFromJson(await readFile(join(tmp.dir, 'v.json'), 'utf8'));
    const st = vectorFromSafetensors(new Uint8Array(await bytes('safetensors')));
    const gguf = vectorFromGguf(new Uint8Array(await bytes('gguf')));
    for (const v of [json, st, gguf]) {
      expect(v.layers).toEqual(want.layers);
      expect(v.recipe).toMatchObject({ from: 'contrast', method: 'mean', layers: [1, 2] });
    }
  });

  it('reads the vector where the page does when no --hook, --position or --method is given', async () => {
    const { steering } = defaultExperiment();
    const model = await loadModel(dirSource(MODEL));
    const want = await buildContrastVector(model, {
      pairs: PAIRS,
      hook: steering.hook,
      layers: [1],
      position: steering.position,
      method: steering.method,
    });
    model.dispose();
    const file = join(tmp.dir, 'v-defaults.json');
    await steer(['--model', MODEL, '--pairs', join(tmp.dir, 'pairs.json'), '--layer', '1', '--out', file]);
    const got = vectorFromJson(await readFile(file, 'utf8'));
    expect(got.hook).toBe(steering.hook);
    expect(got.layers).toEqual(want.layers);
  });

  it('generates with the vector added, and differently from the unsteered model', async () => {
    const out = await steer([
      ...['--model', MODEL, '--pairs', join(tmp.dir, 'pairs.json'), '--layer', '1'],
      ...['--prompt', '1 2 3', '--coefficient', '8', '--compare', '--max-tokens', '6'],
    ]);
    const [plain, steered] = out.split('\n');
    expect(plain).toMatch(/^unsteered: (\d+ ?){6}$/);
    expect(steered).toMatch(/^steered \(8\): (\d+ ?){6}$/);
    expect(steered!.split(': ')[1]).not.toBe(plain!.split(': ')[1]);
  });

  it('steers with a vector read from a file of each format as with the vector built from pairs', async () => {
    const gen = ['--prompt', '1 2 3', '--coefficient', '8', '--max-tokens', '6'];
    const built = await steer([
      '--model',
      MODEL,
      '--pairs',
      join(tmp.dir, 'pairs.json'),
      '--layer',
      '1,2',
      ...READ_AT,
      ...gen,
    ]);
    for (const ext of ['json', 'safetensors', 'gguf'])
      expect(await steer(['--model', MODEL, '--vector', join(tmp.dir, `v.${ext}`), ...gen])).toBe(built);
    // Only the asked-for layer of the file is applied.
    const one = await steer(['--model', MODEL, '--vector', join(tmp.dir, 'v.json'), '--layer', '1', ...gen]);
    expect(one).toBe(
      await steer([
        '--model',
        MODEL,
        '--pairs',
        join(tmp.dir, 'pairs.json'),
        '--layer',
        '1',
        ...READ_AT,
        ...gen,
      ]),
    );
    await expect(
      steer(['--model', MODEL, '--vector', join(tmp.dir, 'v.json'), '--layer', '0']),
    ).rejects.toThrow(/no layer 0/);
  });

  it('applies the ablate-then-add, layer-weighted and GUARD-IT operators, each differently', async () => {
    const base = [
      '--model',
      MODEL,
      '--vector',
      join(tmp.dir, 'v.json'),
      '--prompt',
      '1 2 3',
      '--max-tokens',
      '6',
    ];
    const outs = new Set<string>();
    for (const op of ['add', 'ablate-add', 'layer-weighted', 'guard'])
      outs.add(await steer([...base, '--operator', op, '--coefficient', '30']));
    expect(outs.size).toBeGreaterThan(2);
    await expect(steer([...base, '--operator', 'twist'])).rejects.toThrow(/--operator/);
  });

  it('builds an ActAdd vector from two prompts and adds it front-aligned', async () => {
    const llama = [
      '--model',
      'models/organism-llama',
      '--prompt',
      'I think that you are',
      '--max-tokens',
      '8',
    ];
    const out = await steer([
      ...llama,
      '--actadd',
      'Love::Hate',
      '--layer',
      '2',
      '--coefficient',
      '5',
      '--compare',
    ]);
    const [plain, steered] = out.split('\n');
    expect(plain).toMatch(/^unsteered: /);
    expect(steered).toMatch(/^steered \(5\): /);
    expect(steered!.split(': ')[1]).not.toBe(plain!.split(': ')[1]);
    await expect(steer([...llama, '--actadd', 'Love'])).rejects.toThrow(/<positive>::<negative>/);
  });

  it('prints its usage for --help', async () => {
    expect(await steer(['--help'])).toMatch(/rudder steer +--model .*--vector/s);
  });

  it('reports bad options as usage errors', async () => {
    await expect(steer(['--model', MODEL])).rejects.toThrow(/one of --pairs .* --vector .* --actadd/);
    await expect(steer(['--model', MODEL, '--pairs', 'x.json', '--method', 'magic'])).rejects.toThrow(
      /--method/,
    );
    await expect(steer(['--model', MODEL, '--pairs', 'missing.json'])).rejects.toThrow(/missing\.json/);
  });
});
