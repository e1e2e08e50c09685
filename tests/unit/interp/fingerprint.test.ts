import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, Model } from '../../../src/engine/node';
import {
  decode,
  ExperimentSchema,
  encode,
  fingerprintField,
  fingerprintFromField,
} from '../../../src/experiment';
import { compile } from '../../../src/interp/compile';
import {
  activationFingerprint,
  compareFingerprints,
  defaultFingerprintSpec,
  type Fingerprint,
  randomDirections,
} from '../../../src/interp/fingerprint';
import { round4, significant4 } from '../../../src/interp/significant';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { randomVector } from '../../support/steering';

describe('4-significant-digit values', () => {
  it('round to 4 digits, carry into the next power of ten, and survive a second rounding', () => {
    expect(round4(1.23456)).toBe(Math.fround(1.235));
    expect(round4(-0.000999951)).toBe(Math.fround(-0.001));
    expect(significant4(9999.6)).toEqual({ negative: false, mantissa: 1000, exponent: 4 });
    expect(round4(0)).toBe(0);
    for (const x of [3.14159e-7, 271.828, -1e-30, 6.02214e23, 0.1, 1000])
      expect(round4(round4(x))).toBe(round4(x));
  });

  it('draws orthonormal directions from the seed, the same each time', () => {
    const R = randomDirections(7, 32, 8);
    expect(randomDirections(7, 32, 8)).toEqual(R);
    expect(randomDirections(8, 32, 8)).not.toEqual(R);
    for (let a = 0; a < 8; a++)
      for (let b = 0; b < 8; b++) {
        let dot = 0;
        for (let j = 0; j < 32; j++) dot += R[j * 8 + a]! * R[j * 8 + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
      }
  });
});

for (const name of ['organism-gpt2', 'organism-llama']) {
  describe(`activation fingerprint on ${name} (METHODS.md §16)`, () => {
    let model: Model;
    let tokens: number[];
    let reference: Fingerprint;
    const spec = () => defaultFingerprintSpec(model.spec.nLayers, 42);
    beforeAll(async () => {
      await useBackend('wasm');
      model = await loadModel(dirSource(`models/${name}`));
      tokens = model.tokenizer!.encode('Once upon a time, a little fox named Pip lived near the river.');
      reference = await activationFingerprint(model, tokens, spec());
    });
    afterAll(() => model.dispose());

    it('is identical on the same backend, and survives a share link bit for bit', async () => {
      const again = await expectNoLeaks(() => activationFingerprint(model, tokens, spec()));
      expect(reference.values.length).toBe(3 * 4 * 8);
      expect(compareFingerprints(reference, again, ['wasm', 'wasm'])).toMatchObject({
        verdict: 'identical',
        maxRelDiff: 0,
      });
      const field = fingerprintField(reference, 'wasm');
      expect(field.values.length).toBe(4 * 96);
      const exp = ExperimentSchema.parse({ version: 1, fingerprint: field });
      const back = (await decode(await encode(exp)))!.fingerprint!;
      const { fingerprint, backend } = fingerprintFromField(back);
      expect(backend).toBe('wasm');
      expect(fingerprint.spec).toEqual(reference.spec);
      expect(fingerprint.values).toEqual(reference.values);
      expect(
        ExperimentSchema.safeParse({ version: 1, fingerprint: { ...field, values: field.values.slice(4) } })
          .success,
      ).toBe(false);
    });

    it('flags a steering coefficient off by 1%', async () => {
      const v = randomVector(model, [1], { seed: 3 });
      const steered = async (coefficient: number) => {
        const c = compile({ kind: 'add', vector: 'v', coefficient }, { model, vectors: { v } });
        try {
          return await activationFingerprint(model, tokens, spec(), { hooks: c.hooks });
        } finally {
          c.dispose();
        }
      };
      const a = await steered(4);
      const cmp = compareFingerprints(a, await steered(4.04), ['wasm', 'wasm']);
      expect(cmp.verdict).toBe('differs');
      expect(compareFingerprints(a, await steered(4), ['wasm', 'wasm']).verdict).toBe('identical');
    });

    it('flags a changed weight', async () => {
      const host = model.hostWeights();
      const W = host.get('blocks.0.mlp.W_out')!;
      const data = Float32Array.from(W.data);
      for (let i = 0; i < data.length; i += 97) data[i]! *= 1.05;
      host.set('blocks.0.mlp.W_out', { shape: W.shape, data });
      const edited = Model.fromHost(model.id, model.spec, host, model.tokenizer);
      const cmp = compareFingerprints(reference, await activationFingerprint(edited, tokens, spec()), [
        'wasm',
        'wasm',
      ]);
      edited.dispose();
      expect(cmp.verdict).toBe('differs');
    });

    it('reproduces the WebAssembly run on the CPU backend within its tolerance', async () => {
      await useBackend('cpu');
      const cpu = await loadModel(dirSource(`models/${name}`));
      const replay = await activationFingerprint(cpu, tokens, spec());
      cpu.dispose();
      await useBackend('wasm');
      const cmp = compareFingerprints(reference, replay, ['wasm', 'cpu']);
      expect(['identical', 'reproduced']).toContain(cmp.verdict);
      expect(cmp.maxRelDiff).toBeLessThan(1e-3);
      expect(tf.getBackend()).toBe('wasm');
    });
  });
}
