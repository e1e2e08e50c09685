import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, generate, hookName, type Model } from '../../../src/engine';
import { type CompileContext, compile, InterventionError } from '../../../src/interp/compile';
import type { Intervention } from '../../../src/interp/interventions';
import { dot, orthonormalAgainst, unit } from '../../../src/interp/linalg';
import { IncompatibleVectorError, type SteeringPlane, type UnitSelection } from '../../../src/interp/vector';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, randomModel } from '../../support/random-model';
import { bitEqual, logits, maxAbsDiff, randomArray, randomVector } from '../../support/steering';

const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8];

describe('compile', () => {
  let model: Model;
  let ctx: CompileContext;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(gpt2Spec(), 5);
    const d = model.spec.dModel;
    const b1 = unit(randomArray(d, 1));
    const plane: SteeringPlane = {
      modelId: model.id,
      width: d,
      b1,
      b2: orthonormalAgainst(randomArray(d, 2), b1),
      modules: [
        { layer: 0, point: 'ln1_normalized' },
        { layer: 1, point: 'ln2_normalized' },
      ],
    };
    const units: UnitSelection = {
      modelId: model.id,
      units: [
        { layer: 0, point: 'z', index: 5, beta: 0.9 },
        { layer: 1, point: 'mlp_out', index: 3, beta: -0.75 },
        { layer: 1, point: 'resid_post', index: 7, beta: 0.6 },
      ],
    };
    ctx = {
      model,
      vectors: {
        v: randomVector(model, [0, 1]),
        actadd: randomVector(model, [1], { hook: 'resid_pre', rows: 3, seed: 4 }),
      },
      planes: { p: plane },
      units: { u: units },
    };
  });
  afterAll(() => model.dispose());

  /** One intervention of each kind at full strength, and the same with strength 0. */
  const kinds: [string, Intervention, Intervention][] = [
    [
      'add',
      { kind: 'add', vector: 'v', coefficient: 4, normalize: true },
      { kind: 'add', vector: 'v', coefficient: 0, normalize: true },
    ],
    ['ablate', { kind: 'ablate', vector: 'v' }, { kind: 'ablate', vector: 'v', strength: 0 }],
    [
      'angular rotation',
      { kind: 'rotate', plane: 'p', mode: 'angular', angle: 90 },
      { kind: 'rotate', plane: 'p', mode: 'angular', angle: 90, strength: 0 },
    ],
    [
      'selective rotation',
      { kind: 'rotate', plane: 'p', mode: 'selective', angle: 60 },
      { kind: 'rotate', plane: 'p', mode: 'selective', angle: 0 },
    ],
    ['units', { kind: 'units', units: 'u', alpha: 5 }, { kind: 'units', units: 'u', alpha: 0 }],
    [
      'layer-weighted',
      { kind: 'layer-weighted', vector: 'v', strength: 3, weights: [{ layer: 0, weight: 1 }] },
      { kind: 'layer-weighted', vector: 'v', strength: 0, weights: [{ layer: 0, weight: 1 }] },
    ],
    [
      'guard',
      { kind: 'guard', vector: 'v', layer: 1, coefficient: 2 },
      { kind: 'guard', vector: 'v', layer: 1, coefficient: 0 },
    ],
    [
      'ActAdd front alignment',
      { kind: 'add', vector: 'actadd', coefficient: 2, positions: { kind: 'front' } },
      { kind: 'add', vector: 'actadd', coefficient: 0, positions: { kind: 'front' } },
    ],
  ];

  for (const [label, on, off] of kinds) {
    it(`${label}: changes the logits, and at strength 0 leaves them bit-identical`, async () => {
      const base = logits(model, PROMPT);
      await expectNoLeaks(() => {
        const steered = compile(on, ctx);
        const changed = logits(model, PROMPT, steered.hooks);
        steered.dispose();
        expect(Math.max(...changed.map((row, t) => maxAbsDiff(row, base[t]!)))).toBeGreaterThan(1e-4);
        const zero = compile(off, ctx);
        const same = logits(model, PROMPT, zero.hooks);
        zero.dispose();
        same.forEach((row, t) => expect(bitEqual(row, base[t]!)).toBe(true));
      });
    });
  }

  it('CAA from a start position leaves every earlier position bit-identical', () => {
    const base = logits(model, PROMPT);
    const c = compile(
      { kind: 'add', vector: 'v', coefficient: 3, positions: { kind: 'from', start: 4 } },
      ctx,
    );
    const out = logits(model, PROMPT, c.hooks);
    c.dispose();
    for (let t = 0; t < 4; t++) expect(bitEqual(out[t]!, base[t]!)).toBe(true);
    for (let t = 4; t < PROMPT.length; t++) expect(maxAbsDiff(out[t]!, base[t]!)).toBeGreaterThan(1e-4);
  });

  it('adds c·v at the vector hook, as read back from the cache', () => {
    const v = ctx.vectors!.v!;
    const name = hookName('resid_post', 1);
    const read = (hooks?: Parameters<typeof model.run>[1]) => {
      const r = model.run(PROMPT, { ...hooks, cache: [name], logits: 'none' });
      const out = r.cache.get(name)!.dataSync() as Float32Array;
      disposeResult(r);
      return out;
    };
    const base = read();
    // Only layer 1: layer 0 would also change what reaches layer 1.
    const c = compile({ kind: 'add', vector: 'v', coefficient: 2, layers: [1] }, ctx);
    const steered = read({ hooks: c.hooks });
    c.dispose();
    const d = model.spec.dModel;
    const expected = base.map((x, i) => x + 2 * v.layers[1]![i % d]!);
    expect(maxAbsDiff(steered, expected)).toBeLessThan(1e-5);
  });

  it('ActAdd front alignment adds row i at position i of the prompt only', () => {
    const v = ctx.vectors!.actadd!;
    const name = hookName('resid_pre', 1);
    const r0 = model.run(PROMPT, { cache: [name], logits: 'none' });
    const c = compile({ kind: 'add', vector: 'actadd', coefficient: 1, positions: { kind: 'front' } }, ctx);
    const r1 = model.run(PROMPT, { cache: [name], logits: 'none', hooks: c.hooks });
    const [a, b] = [r0, r1].map((r) => r.cache.get(name)!.dataSync() as Float32Array);
    const d = model.spec.dModel;
    for (let t = 0; t < PROMPT.length; t++) {
      const want = a!.subarray(t * d, (t + 1) * d).map((x, j) => x + (t < 3 ? v.layers[1]![t * d + j]! : 0));
      expect(maxAbsDiff(b!.subarray(t * d, (t + 1) * d), want)).toBeLessThan(1e-5);
    }
    disposeResult(r0);
    disposeResult(r1);
    c.dispose();
  });

  it('applies interventions at one point in the order listed', () => {
    const v = ctx.vectors!.v!;
    const name = hookName('resid_post', 0);
    const u = unit(v.layers[0]!);
    const along = (ivs: Intervention[]) => {
      const c = compile(ivs, ctx);
      const r = model.run(PROMPT, { hooks: c.hooks, cache: [name], logits: 'none' });
      const first = r.cache.get(name)!.dataSync().slice(0, model.spec.dModel);
      disposeResult(r);
      c.dispose();
      return dot(first, u);
    };
    const add: Intervention = { kind: 'add', vector: 'v', coefficient: 5, layers: [0] };
    const ablate: Intervention = { kind: 'ablate', vector: 'v', scope: 'vector', layers: [0] };
    expect(Math.abs(along([add, ablate]))).toBeLessThan(1e-4);
    expect(along([ablate, add])).toBeCloseTo(5 * Math.hypot(...v.layers[0]!), 3);
  });

  /** resid_post[layer] of prompts (one row each, same length), [row][pos] → d values. */
  function residPost(prompts: number[][], layer: number, c?: { hooks: Parameters<typeof model.run>[1] }) {
    const name = hookName('resid_post', layer);
    const r = model.run(prompts, { ...c?.hooks, cache: [name], logits: 'none' });
    const data = r.cache.get(name)!.dataSync() as Float32Array;
    disposeResult(r);
    const d = model.spec.dModel;
    const pos = prompts[0]!.length;
    return prompts.map((_, b) =>
      Array.from({ length: pos }, (_, t) => data.slice((b * pos + t) * d, (b * pos + t + 1) * d)),
    );
  }

  it('ablation then addition leaves exactly c‖v‖ along v̂ (steering-vectors operator)', () => {
    const v = ctx.vectors!.v!;
    const c = compile({ kind: 'add', vector: 'v', coefficient: 2, layers: [0], ablateFirst: true }, ctx);
    const out = residPost([PROMPT], 0, { hooks: { hooks: c.hooks } })[0]!;
    c.dispose();
    const u = unit(v.layers[0]!);
    for (const row of out) expect(dot(row, u)).toBeCloseTo(2 * Math.hypot(...v.layers[0]!), 3);
  });

  it('layer-weighted steering adds s·w·r̂ at the last position only', () => {
    const base = residPost([PROMPT], 1)[0]!;
    const c = compile(
      { kind: 'layer-weighted', vector: 'v', strength: 3, weights: [{ layer: 1, weight: 0.5 }] },
      ctx,
    );
    const out = residPost([PROMPT], 1, { hooks: { hooks: c.hooks } })[0]!;
    c.dispose();
    const r = unit(ctx.vectors!.v!.layers[1]!);
    for (let t = 0; t < PROMPT.length - 1; t++) expect(bitEqual(out[t]!, base[t]!)).toBe(true);
    const last = PROMPT.length - 1;
    expect(
      maxAbsDiff(
        out[last]!,
        base[last]!.map((x, j) => x + 1.5 * r[j]!),
      ),
    ).toBeLessThan(1e-5);
  });

  it('GUARD-IT redirects only the rows whose gate fires, keeping their norms', () => {
    const prompts = [PROMPT, [7, 7, 30, 2, 19, 44, 1, 6]];
    const base = residPost(prompts, 1);
    const last = PROMPT.length - 1;
    const centroid = { ...ctx.vectors!.v!, layers: { 1: base[0]![last]! } };
    const c = compile(
      { kind: 'guard', vector: 'v', layer: 1, coefficient: 3, gate: { centroid: 'c', threshold: 0.99 } },
      { ...ctx, vectors: { ...ctx.vectors, c: centroid } },
    );
    const out = residPost(prompts, 1, { hooks: { hooks: c.hooks } });
    c.dispose();
    out[0]!.forEach((row, t) => {
      expect(maxAbsDiff(row, base[0]![t]!)).toBeGreaterThan(1e-3);
      expect(Math.hypot(...row)).toBeCloseTo(Math.hypot(...base[0]![t]!), 3);
    });
    out[1]!.forEach((row, t) => expect(bitEqual(row, base[1]![t]!)).toBe(true));
  });

  it('steers every decode step of a generation without leaking tensors', async () => {
    const c = compile([{ kind: 'add', vector: 'v', coefficient: 20 }], ctx);
    const plain = await generate(model, PROMPT, { maxTokens: 6, temperature: 0, stopTokens: [] });
    const steered = await expectNoLeaks(() =>
      generate(model, PROMPT, { maxTokens: 6, temperature: 0, stopTokens: [], hooks: c.hooks }),
    );
    c.dispose();
    expect(steered.tokens).not.toEqual(plain.tokens);
  });

  it('frees every tensor it holds on dispose', async () => {
    await expectNoLeaks(() =>
      compile(
        kinds.map((k) => k[1]),
        ctx,
      ).dispose(),
    );
  });

  it('refuses a vector built for another model', () => {
    const other = { ...ctx.vectors!.v!, modelId: 'someone-else' };
    expect(() =>
      compile({ kind: 'add', vector: 'x', coefficient: 1 }, { ...ctx, vectors: { x: other } }),
    ).toThrow(IncompatibleVectorError);
  });

  it('names the missing vector and frees what it made before failing', async () => {
    await expectNoLeaks(() => {
      expect(() =>
        compile(
          [
            { kind: 'add', vector: 'v', coefficient: 1 },
            { kind: 'add', vector: 'nope', coefficient: 1 },
          ],
          ctx,
        ),
      ).toThrow(InterventionError);
    });
  });
});
