import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dirSource,
  disposeResult,
  type Hooks,
  hookName,
  loadModel,
  type Model,
} from '../../../src/engine/node';
import {
  idleCells,
  layerActivity,
  relativeChange,
  skipHooks,
  skipIdle,
} from '../../../src/interp/layer-activity';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { bitEqual, logits } from '../../support/steering';

for (const name of ['organism-gpt2', 'organism-llama']) {
  describe(`layer activity on ${name} (METHODS.md §14)`, () => {
    let model: Model;
    let tokens: number[];
    beforeAll(async () => {
      await useBackend('wasm');
      model = await loadModel(dirSource(`models/${name}`));
      tokens = model.tokenizer!.encode('Once upon a time, a little fox named Pip lived near the river.');
    });
    afterAll(() => model.dispose());

    it('computes a[l,t] from cached activations exactly as a hook inside the block does', async () => {
      const cached = await expectNoLeaks(() => layerActivity(model, tokens));
      const L = model.spec.nLayers;
      const inHook: tf.Tensor[] = [];
      const hooks: Hooks = {};
      for (let l = 0; l < L; l++) {
        let pre: tf.Tensor | undefined;
        hooks[hookName('resid_pre', l)] = (x) => {
          pre = x;
        };
        hooks[hookName('resid_post', l)] = (x) => {
          inHook[l] = tf.keep(relativeChange(pre!, x));
        };
      }
      disposeResult(model.run(tokens, { hooks, logits: 'none' }));
      const hooked = Float32Array.from(inHook.flatMap((t) => [...(t.dataSync() as Float32Array)]));
      tf.dispose(inHook);
      expect(cached.activity.length).toBe(L * tokens.length);
      expect(bitEqual(cached.activity, hooked)).toBe(true);
      // A block always changes the residual somewhat; a relative change is never negative.
      expect(Math.min(...cached.activity)).toBeGreaterThan(0);
    });

    it('skipping no layer leaves the logits bit-identical', async () => {
      const mask = new Uint8Array(model.spec.nLayers * tokens.length);
      expect(Object.keys(skipHooks(mask, model.spec.nLayers, tokens.length))).toEqual([]);
      const r = await expectNoLeaks(() => skipIdle(model, tokens, mask));
      expect(r).toMatchObject({ skipped: 0, klMean: 0, klLast: 0, sameTop: true });
      // While one marked cell (layer 0, token 0) is enough to change the prediction.
      const one = Uint8Array.from(mask, (_, i) => (i === 0 ? 1 : 0));
      const T = tokens.length - 1;
      const base = logits(model, tokens)[T]!;
      const skipped = logits(model, tokens, skipHooks(one, model.spec.nLayers, tokens.length))[T]!;
      expect(bitEqual(base, skipped)).toBe(false);
    });

    it('skipping idle cells skips their share of block updates and costs a measurable KL', async () => {
      const a = await layerActivity(model, tokens);
      const sorted = Float32Array.from(a.activity).sort();
      const tau = sorted[Math.floor(sorted.length / 4)]!;
      const mask = idleCells(a, tau);
      const r = await expectNoLeaks(() => skipIdle(model, tokens, mask));
      expect(r.skipped).toBeCloseTo(mask.reduce((s, m) => s + m, 0) / mask.length, 6);
      expect(r.skipped).toBeGreaterThan(0.2);
      expect(r.klMean).toBeGreaterThan(0);
      // Skipping everything costs more than skipping the least active quarter.
      const all = await skipIdle(model, tokens, idleCells(a, Number.POSITIVE_INFINITY));
      expect(all.skipped).toBe(1);
      expect(all.klMean).toBeGreaterThan(r.klMean);
    });
  });
}
