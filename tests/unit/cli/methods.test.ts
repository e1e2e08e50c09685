/**
 * The method commands as a person runs them: each prints its usage for --help and, on an organism,
 * the JSON (or text) its usage promises.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activityCommand, fingerprintCommand, sparsityCommand } from '../../../src/cli/analyses';
import { exportCommand, fvCommand, introspectCommand } from '../../../src/cli/methods';
import { saeCommand } from '../../../src/cli/sae';
import { dirSource, loadModel } from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { type TempFolder, tempFolder } from '../../support/model-folder';

const GPT2 = 'models/organism-gpt2';
const LLAMA = 'models/organism-llama';

/** Runs a command in-process; returns what it printed to stdout. */
async function run(command: (args: string[]) => Promise<void>, args: string[]): Promise<string> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await command(args);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out.join('\n');
}

describe('rudder method commands', () => {
  let tmp: TempFolder;
  beforeAll(async () => {
    await useBackend('wasm');
    tmp = await tempFolder({});
  });
  afterAll(() => tmp.remove());

  it('each prints its usage for --help', async () => {
    const commands = {
      fv: fvCommand,
      activity: activityCommand,
      sparsity: sparsityCommand,
      fingerprint: fingerprintCommand,
      sae: saeCommand,
      introspect: introspectCommand,
      export: exportCommand,
    };
    for (const [name, command] of Object.entries(commands))
      expect(await run(command, ['--help'])).toMatch(
        new RegExp(`^Usage:\\n  rudder ${name} +(train +)?--model`),
      );
  });

  it('activity reports per-layer activity and what skipping idle cells costs', async () => {
    const r = JSON.parse(await run(activityCommand, ['--model', GPT2, '--texts', '2', '--tau', '0,1000']));
    expect(r.meanActivity).toHaveLength(6);
    expect(r.byTau[0]).toMatchObject({ tau: 0, skipped: 0, klMean: 0 });
    expect(r.byTau[1].skipped).toBe(1);
    expect(r.byTau[1].klMean).toBeGreaterThan(0);
  });

  it('sparsity reports shares per ε, the share zeroed, KL, perplexity and both generations', async () => {
    const r = JSON.parse(
      await run(sparsityCommand, [
        '--model',
        GPT2,
        '--texts',
        '2',
        '--quantile',
        '0.3',
        '--prompt',
        'Once upon a time',
        '--max-tokens',
        '4',
      ]),
    );
    expect(r.shareByLayer).toHaveLength(6);
    expect(r.zeroed).toBeGreaterThan(0.2);
    expect(r.perplexitySparse).toBeGreaterThan(1);
    expect(typeof r.generations.sparse).toBe('string');
  });

  it('fingerprint prints the link field and compares WebAssembly with the CPU backend', async () => {
    const file = join(tmp.dir, 'fp.json');
    const out = await run(fingerprintCommand, [
      '--model',
      GPT2,
      '--prompt',
      'Once upon a time, a fox',
      '--compare-backends',
    ]);
    const r = JSON.parse(out);
    expect(r.fingerprint).toMatchObject({ v: 1, k: 8, positions: 4, backend: 'wasm' });
    expect(['identical', 'reproduced']).toContain(r.comparison.verdict);
    await import('node:fs/promises').then((fs) => fs.writeFile(file, out));
    const again = JSON.parse(
      await run(fingerprintCommand, [
        '--model',
        GPT2,
        '--prompt',
        'Once upon a time, a fox',
        '--against',
        file,
      ]),
    );
    expect(again.comparison.verdict).toBe('identical');
    const other = JSON.parse(
      await run(fingerprintCommand, [
        '--model',
        GPT2,
        '--prompt',
        'Once upon a time, a cat',
        '--against',
        file,
      ]),
    );
    expect(other.comparison.verdict).toBe('differs');
  });

  it('fv builds a function vector for one task and measures it', async () => {
    const r = JSON.parse(
      await run(fvCommand, ['--model', LLAMA, '--task', 'past_tense', '--corruption', 'zero-shot']),
    );
    expect(r).toMatchObject({ task: 'past_tense', corruption: 'zero-shot', layer: 3 });
    expect(r.aie).toHaveLength(8);
    expect(r.zeroShotFv).toBeGreaterThan(r.zeroShot);
  });

  it('introspect compares the concept with no injection and random vectors', async () => {
    const r = JSON.parse(
      await run(introspectCommand, ['--model', LLAMA, '--coefficients', '4', '--random', '1']),
    );
    expect(r.concept).toHaveLength(1);
    expect(r.random).toHaveLength(1);
    expect(r.none.pYes).toBeGreaterThanOrEqual(0);
  });

  it('sae trains, saves, lists features and steers by one', async () => {
    const file = join(tmp.dir, 'sae.safetensors');
    const r = JSON.parse(
      await run(saeCommand, [
        'train',
        '--model',
        LLAMA,
        '--out',
        file,
        '--features',
        '128',
        '--steps',
        '40',
        '--batch',
        '128',
      ]),
    );
    expect(r).toMatchObject({ layer: 4, features: 128, l1: 3 });
    expect(r.heldOut.l0).toBeGreaterThan(0);
    const features = (
      await run(saeCommand, ['features', '--model', LLAMA, '--sae', file, '--features', '0,1', '--top', '2'])
    ).split('\n');
    expect(JSON.parse(features[0]!).feature).toBe(0);
    const steered = await run(saeCommand, [
      'steer',
      '--model',
      LLAMA,
      '--sae',
      file,
      '--feature',
      '1',
      '--coefficient',
      '20',
      '--prompt',
      'Once',
      '--max-tokens',
      '6',
    ]);
    expect(steered).toMatch(/^unsteered: .*\nfeature 1 ×20: /s);
    await expect(run(saeCommand, ['grow'])).rejects.toThrow(/unknown sae command/);
  });

  it('export writes an orthogonalised model folder that Rudder loads', async () => {
    const out = join(tmp.dir, 'ortho');
    await run(exportCommand, ['--model', LLAMA, '--out', out, '--refusal']);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('llama');
    const model = await loadModel(dirSource(out));
    expect(model.spec.nLayers).toBe(8);
    model.dispose();
    await expect(run(exportCommand, ['--model', LLAMA, '--out', out])).rejects.toThrow(
      /one of --orthogonalize/,
    );
  });
});
