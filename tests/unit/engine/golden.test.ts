/**
 * The engine against the PyTorch reference (training/reference.py): logits and activations within
 * float32 tolerance, and greedy generation token for token, on every Node backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, generate, type HookName, loadModel, type Model } from '../../../src/engine/node';
import { NODE_BACKENDS, useBackend } from '../../support/backend';
import { goldenCases } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';

/** Max |Δ| allowed, relative to the largest |value| of the reference tensor (and at least 1e-4 absolute scale). */
const TOLERANCE = 1e-4;

/**
 * Entries the reference masked (-inf in hook_attn_scores, as TransformerLens writes them) must be
 * masked here too (the engine's additive mask leaves them at about -1e9); they are left out of
 * the difference and of the scale.
 */
const MASKED_BELOW = -1e8;

function expectClose(name: string, got: ArrayLike<number>, want: Float32Array): void {
  expect(got.length, `${name} size`).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === Number.NEGATIVE_INFINITY) {
      expect(got[i]!, `${name}[${i}] is masked in the reference`).toBeLessThan(MASKED_BELOW);
      continue;
    }
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  expect(Number.isFinite(diff), `${name}: max |Δ| is ${diff}`).toBe(true);
  expect(diff, `${name}: max |Δ| ${diff} vs scale ${scale}`).toBeLessThanOrEqual(
    TOLERANCE * Math.max(1, scale),
  );
}

for (const c of goldenCases()) {
  for (const backend of NODE_BACKENDS) {
    describe.skipIf(!c.source)(`golden ${c.name} (${backend})`, () => {
      let model: Model;
      beforeAll(async () => {
        await useBackend(backend);
        model = await loadModel(c.source!);
      });
      afterAll(() => model?.dispose());

      it('matches the reference logits for every sequence', () => {
        c.golden.sequences.forEach((seq, i) => {
          const r = model.run(seq);
          expectClose(`logits.${i}`, r.logits!.dataSync(), c.tensors.read(`logits.${i}`).data);
          disposeResult(r);
        });
      });

      it('matches the reference activations at every stored hook', () => {
        for (const i of c.golden.acts_sequences) {
          const hooks = c.golden.hooks as HookName[];
          const r = model.run(c.golden.sequences[i]!, { cache: hooks, logits: 'none' });
          for (const hook of hooks) {
            expectClose(
              `acts.${i}.${hook}`,
              r.cache.get(hook)!.dataSync(),
              c.tensors.read(`acts.${i}.${hook}`).data,
            );
          }
          disposeResult(r);
        }
      });

      it('generates the reference greedy tokens without leaking tensors', async () => {
        const { prompt, tokens } = c.golden.greedy;
        const out = await expectNoLeaks(() =>
          generate(model, prompt, { maxTokens: tokens.length, stopTokens: [] }),
        );
        expect(out.tokens).toEqual(tokens);
      });
    });
  }
  if (!c.source) {
    it(`golden ${c.name}: skipped, its weights are not here (${c.missing})`, () => {
      console.warn(
        `SKIPPED golden ${c.name}: ${c.missing} is absent (../shared exists only on the team's machines and in CI).`,
      );
    });
  }
}
