import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Model } from '../../../src/engine';
import { compile, InterventionError } from '../../../src/interp/compile';
import { type HeadGate, headGateHooks, headMeans } from '../../../src/interp/heads';
import type { GateIntervention } from '../../../src/interp/interventions';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';
import { bitEqual, logits } from '../../support/steering';

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8];

describe.each([
  ['gpt2', gpt2Spec()],
  ['llama (GQA)', llamaSpec()],
])('the gate intervention on a random %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 3);
  });
  afterAll(() => model.dispose());

  const run = (iv: GateIntervention, extra: { headMeans?: Awaited<ReturnType<typeof headMeans>> } = {}) =>
    expectNoLeaks(() => {
      const c = compile(iv, { model, ...extra });
      try {
        return logits(model, PROMPT, c.hooks);
      } finally {
        c.dispose();
      }
    });

  it('compiles a scale of 1 to no hook, so the run is bit-identical to no gate', async () => {
    const iv: GateIntervention = { kind: 'gate', heads: [{ layer: 1, head: 0, mode: 'scale', factor: 1 }] };
    expect(Object.keys(compile(iv, { model }).hooks)).toEqual([]);
    const base = logits(model, PROMPT);
    const gated = await run(iv);
    gated.forEach((row, i) => expect(bitEqual(row, base[i]!)).toBe(true));
    expect(Object.keys(compile({ kind: 'gate', heads: [] }, { model }).hooks)).toEqual([]);
  });

  it('zeroes a head exactly as headGateHooks does, and changes the logits', async () => {
    const gates: HeadGate[] = [{ layer: 0, head: 1, mode: 'zero' }];
    const gated = await run({ kind: 'gate', heads: [{ layer: 0, head: 1, mode: 'zero' }] });
    const direct = logits(model, PROMPT, headGateHooks(model.spec, gates));
    const base = logits(model, PROMPT);
    gated.forEach((row, i) => expect(bitEqual(row, direct[i]!)).toBe(true));
    expect(gated.some((row, i) => !bitEqual(row, base[i]!))).toBe(true);
  });

  it('scales and mean-ablates heads with the means the context supplies', async () => {
    const means = await headMeans(model, [
      [1, 5, 9, 3],
      [2, 7, 7, 1, 30],
    ]);
    const heads: GateIntervention['heads'] = [
      { layer: 1, head: 1, mode: 'mean' },
      { layer: 0, head: 0, mode: 'scale', factor: 0.5 },
    ];
    const gated = await run({ kind: 'gate', heads }, { headMeans: means });
    const direct = logits(model, PROMPT, headGateHooks(model.spec, heads, means));
    gated.forEach((row, i) => expect(bitEqual(row, direct[i]!)).toBe(true));
  });

  it('refuses mean ablation without means, and heads the model does not have', () => {
    expect(() => compile({ kind: 'gate', heads: [{ layer: 0, head: 0, mode: 'mean' }] }, { model })).toThrow(
      InterventionError,
    );
    expect(() =>
      compile({ kind: 'gate', heads: [{ layer: model.spec.nLayers, head: 0, mode: 'zero' }] }, { model }),
    ).toThrow(/Layer/);
    expect(() =>
      compile({ kind: 'gate', heads: [{ layer: 0, head: model.spec.nHeads, mode: 'zero' }] }, { model }),
    ).toThrow(/Head/);
  });

  it('applies on every decode step of a generation', async () => {
    const iv: GateIntervention = {
      kind: 'gate',
      heads: Array.from({ length: model.spec.nHeads }, (_, head) => ({
        layer: 0,
        head,
        mode: 'zero' as const,
      })),
    };
    const c = compile(iv, { model });
    try {
      const gated = await generate(model, PROMPT, { maxTokens: 6, temperature: 0, hooks: c.hooks });
      const direct = await generate(model, PROMPT, {
        maxTokens: 6,
        temperature: 0,
        hooks: headGateHooks(model.spec, iv.heads),
      });
      expect(gated.tokens).toEqual(direct.tokens);
    } finally {
      c.dispose();
    }
  });
});
