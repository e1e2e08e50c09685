/**
 * The worker's share jobs on the shipped Llama organism (skipped when it is not built): the run's
 * fingerprint is what interp reads for the steered pass; carried back in the experiment it checks
 * as identical, scaled ×1.05 as differing by 0.05/1.05; the exported folders hold the edited
 * weights and a README naming the edit; no job leaves a tensor behind.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model, parseSafetensors } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import {
  defaultExperiment,
  type Experiment,
  type FingerprintField,
  packFingerprint,
  unpackFingerprint,
} from '../../../src/experiment';
import { activationFingerprint, defaultFingerprintSpec, encodeInput } from '../../../src/interp';
import { describeCheck } from '../../../src/worker/fingerprint-check';
import { createHost, type ModelHost } from '../../../src/worker/host';
import { exportFolderName } from '../../../src/worker/host/share';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');

describe.skipIf(!existsSync(resolve(DIR, 'config.json')))('the share jobs in the worker', () => {
  let model: Model;
  let host: ModelHost;
  const base = (): Experiment => ({
    ...defaultExperiment(),
    prompt: { text: 'Once upon a time there was a little robot', chat: false },
  });
  let field: FingerprintField;

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    host = createHost();
    host.adopt(model, dirSource(DIR), { name: 'wasm', reason: 'test' });
  });
  afterAll(() => host?.dispose());

  it("fingerprints the unsteered run as interp does, and names this run's backend", async () => {
    const out = await expectNoLeaks(() => host.fingerprint({ experiment: base() }));
    field = out.field;
    expect(out).toMatchObject({ backend: 'wasm', precision: 'float32' });
    expect(out.check).toBeUndefined();
    const tokens = encodeInput(model, base().prompt.text, { chat: false });
    const fp = await activationFingerprint(model, tokens, defaultFingerprintSpec(model.spec.nLayers));
    expect(unpackFingerprint(field.values)).toEqual(fp.values);
  });

  it('checks a carried fingerprint: identical as it is, differing by 0.05/1.05 when scaled', async () => {
    const same = await host.fingerprint({ experiment: { ...base(), fingerprint: field } });
    expect(same.check).toMatchObject({ verdict: 'identical', maxRelDiff: 0, tolerance: 1e-3 });
    expect(describeCheck(same.check!, same)).toBe(
      "Your run matches the author's exactly: every fingerprint value is equal (this run on WebAssembly, float32, the author's on WebAssembly, float32).",
    );
    const scaled = packFingerprint(unpackFingerprint(field.values).map((x) => x * 1.05));
    const tampered = await host.fingerprint({
      experiment: { ...base(), fingerprint: { ...field, values: scaled, backend: 'webgpu' } },
    });
    expect(tampered.check?.verdict).toBe('differs');
    expect(tampered.check?.tolerance).toBe(2e-3);
    expect(Math.abs(tampered.check!.maxRelDiff - 0.05 / 1.05)).toBeLessThan(1e-3);
    expect(describeCheck(tampered.check!, tampered)).toMatch(
      /^Your run differs from the author's: max relative difference 4\.7\de-2, above the tolerance 2\.00e-3 \(this run on WebAssembly, float32, the author's on WebGPU, float32\)\.$/,
    );
  });

  it('reads the steered run: a steered experiment has another fingerprint, which fails the unsteered one', async () => {
    const steered: Experiment = {
      ...base(),
      steering: {
        ...base().steering,
        pairs: [
          { positive: 'I love this, it is wonderful', negative: 'I hate this, it is awful' },
          { positive: 'What a happy day', negative: 'What a sad day' },
        ],
        layers: [2],
        coefficient: 4,
      },
    };
    const out = await host.fingerprint({ experiment: { ...steered, fingerprint: field } });
    expect(out.check?.verdict).toBe('differs');
  });

  it('exports the refusal-orthogonalised and the Steer2Edit folders with a README naming the edit', async () => {
    const sets = await host.refusalSets();
    const vector = {
      from: 'refusal' as const,
      model: model.id,
      harmful: sets.harmful.slice(0, 8),
      harmless: sets.harmless.slice(0, 8),
      layer: 3,
      position: -1,
    };
    const orth = await expectNoLeaks(() =>
      host.exportModel({ experiment: base(), edit: { kind: 'orthogonalize-refusal', vector } }),
    );
    const names = orth.files.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['model.safetensors', 'config.json', 'tokenizer.json', 'README.md']),
    );
    const readme = new TextDecoder().decode(orth.files.find((f) => f.name === 'README.md')!.data);
    expect(readme).toContain('refusal direction (layer 3, position -1) orthogonalised');
    expect(orth.name).toBe(`${exportFolderName(model.id)}-refusal-removed`);
    const weights = parseSafetensors(orth.files.find((f) => f.name === 'model.safetensors')!.data, 'x');
    expect(weights.metadata.rudder).toBe(orth.note);

    const s2e = await host.exportModel({
      experiment: {
        ...base(),
        steering: {
          ...base().steering,
          pairs: [{ positive: 'I love this, it is wonderful', negative: 'I hate this, it is awful' }],
          layers: [4],
        },
      },
      edit: { kind: 'steer2edit' },
    });
    expect(s2e.note).toMatch(
      /Steer2Edit rank-1 edits from 1 steering pairs at layer 4: \d+ heads, \d+ MLP neurons/,
    );
    await expect(host.exportModel({ experiment: base(), edit: { kind: 'steer2edit' } })).rejects.toThrow(
      /write at least one pair/,
    );
  });
});

describe('the exported folder name', () => {
  it('is the last segment of a path, Hub repo or URL, in plain file-name characters', () => {
    // The page's shipped organism has a path id: a zip entry may not start with '/'.
    expect(exportFolderName('/models/organism-llama')).toBe('organism-llama');
    expect(exportFolderName('HuggingFaceTB/SmolLM2-135M-Instruct')).toBe('SmolLM2-135M-Instruct');
    expect(exportFolderName('http://localhost:8000/m/gpt2/')).toBe('gpt2');
    expect(exportFolderName('../..')).toBe('model');
    expect(exportFolderName('a b:c')).toBe('a-b-c');
  });
});
