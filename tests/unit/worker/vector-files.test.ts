import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { defaultExperiment, type Experiment, STEERING_VECTOR, steeredPlan } from '../../../src/experiment';
import {
  compile,
  type Intervention,
  type SteeringVector,
  sniffFormat,
  vectorToJson,
} from '../../../src/interp';
import { exportVectorFile, importVectorFile, lensOf } from '../../../src/worker/vector-files';
import { VectorStore } from '../../../src/worker/vectors';
import { useBackend } from '../../support/backend';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');
const PROMPT = 'Once upon a time there was a';

function experiment(patch: Partial<Experiment['steering']>): Experiment {
  const e = defaultExperiment();
  const pairs = [
    { positive: 'I love this, it is wonderful', negative: 'I hate this, it is awful' },
    { positive: 'What a happy, bright day', negative: 'What a sad, gloomy day' },
    { positive: 'She smiled with joy', negative: 'She wept with grief' },
  ];
  return { ...e, steering: { ...e.steering, pairs, layers: [2], ...patch } };
}

describe('the builder’s vectors in the worker', () => {
  let model: Model;
  let store: VectorStore;
  const spec = () => ({ id: model.id, nLayers: model.spec.nLayers });

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    store = new VectorStore(model);
  });
  afterAll(() => model?.dispose());

  /** Greedy tokens of the prompt with the experiment's steered interventions. */
  async function steered(exp: Experiment, vector?: SteeringVector): Promise<number[]> {
    const ivs: Intervention[] = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).interventions;
    const vectors: Record<string, SteeringVector> = {};
    for (const [name, src] of Object.entries(steeredPlan(exp, spec()).vectors))
      vectors[name] = vector ?? (await store.build(src)).vector;
    const extras = steeredPlan(exp, spec());
    const planes = Object.fromEntries(
      await Promise.all(Object.entries(extras.planes).map(async ([n, r]) => [n, await store.plane(r)])),
    );
    const units = Object.fromEntries(
      await Promise.all(
        Object.entries(extras.units).map(async ([n, r]) => [n, await store.unitSelection(r)]),
      ),
    );
    const c = compile(ivs, { model, vectors, planes, units });
    try {
      const prompt = model.tokenizer!.encode(PROMPT);
      const out = await generate(model, prompt, { maxTokens: 24, temperature: 0, hooks: c.hooks });
      return out.tokens;
    } finally {
      c.dispose();
    }
  }

  it('leaves the text unchanged at strength 0 for every operator, and changes it for each at strength', async () => {
    const baseline = await steered({
      ...experiment({}),
      steering: { ...experiment({}).steering, pairs: [] },
    });
    const zero = [
      experiment({ operator: 'add', coefficient: 0 }),
      experiment({ operator: 'ablate', ablation: 0 }),
      experiment({ operator: 'rotate', angle: 0 }),
      experiment({ operator: 'units', alpha: 0 }),
    ];
    for (const e of zero) expect(await steered(e)).toEqual(baseline);
    const strong = [
      experiment({ operator: 'add', coefficient: 8 }),
      experiment({ operator: 'rotate', angle: 120 }),
      experiment({ operator: 'units', alpha: 40, k: 50 }),
    ];
    for (const e of strong) expect(await steered(e), e.steering.operator).not.toEqual(baseline);
  });

  it('exports the vector in every format and imports each back to the same steered text', async () => {
    const exp = experiment({ coefficient: 6 });
    const { vector } = await store.build(steeredPlan(exp, spec()).vectors[STEERING_VECTOR]!);
    const original = await steered(exp, vector);
    for (const format of ['json', 'safetensors', 'gguf'] as const) {
      const file = exportVectorFile(model, vector, format);
      expect(file.fileName.endsWith(`.${format}`)).toBe(true);
      expect(sniffFormat(file.bytes, file.fileName)).toBe(format);
      const inline = importVectorFile(model, file.bytes, file.fileName);
      expect(inline).toMatchObject({ from: 'inline', hook: 'resid_pre', width: model.spec.dModel, format });
      expect(Object.keys(inline.layers)).toEqual(['2']);
      const imported = { ...exp, steering: { ...exp.steering, vector: inline } };
      expect(await steered(imported), format).toEqual(original);
    }
  });

  it('refuses a wrong-width vector and a malformed file with messages that name the file', async () => {
    const { vector } = await store.build(steeredPlan(experiment({}), spec()).vectors[STEERING_VECTOR]!);
    const narrow: SteeringVector = { ...vector, width: 16, layers: { 2: new Float32Array(16).fill(1) } };
    const bytes = new TextEncoder().encode(vectorToJson(narrow));
    expect(() => importVectorFile(model, bytes, 'narrow.json')).toThrow(
      new RegExp(`narrow\\.json is 16 values wide.*${model.spec.dModel}`),
    );
    expect(() => importVectorFile(model, new TextEncoder().encode('{"format": "x"'), 'bad.json')).toThrow(
      /bad\.json: is not valid JSON/,
    );
    expect(() => importVectorFile(model, new Uint8Array([1, 2, 3]), 'x.bin')).toThrow(
      /x\.bin: is not a vector file/,
    );
    const deep: SteeringVector = { ...vector, layers: { 40: vector.layers[2]! } };
    expect(() => importVectorFile(model, new TextEncoder().encode(vectorToJson(deep)), 'deep.json')).toThrow(
      /steers layer 40/,
    );
  });

  it('refuses an all-zero, a NaN and a sub-float16 vector, and warns of one far larger than the residual', async () => {
    const { vector } = await store.build(steeredPlan(experiment({}), spec()).vectors[STEERING_VECTOR]!);
    const file = (layer: Float32Array) =>
      new TextEncoder().encode(vectorToJson({ ...vector, layers: { 2: layer } }));
    const d = vector.width;
    expect(() => importVectorFile(model, file(new Float32Array(d)), 'zero.json')).toThrow(
      'zero.json: layer 2 is all zeros, so steering with it would do nothing',
    );
    const nan = new Float32Array(d).fill(0.5);
    nan[3] = Number.NaN;
    expect(() => importVectorFile(model, file(nan), 'nan.json')).toThrow(
      'nan.json: layer 2 holds NaN at index 3; every value must be a finite number',
    );
    expect(() => importVectorFile(model, file(new Float32Array(d).fill(1e-9)), 'tiny.json')).toThrow(
      /^tiny\.json: layer 2's values are all below float16's smallest/,
    );
    // A direction of the right shape scaled far past the residual stream: 10^5 times it does not
    // fit float16 at this width, so that is refused; as large as float16 holds, it is imported
    // with a warning the page can show.
    const plain = (await store.build(importVectorFile(model, file(vector.layers[2]!), 'v.json'))).info;
    expect(plain.warnings).toBeUndefined();
    const scaled = (scale: number) => vector.layers[2]!.map((x) => x * scale);
    const ratio = plain.norms[0]! / plain.residualNorms[0]!;
    expect(() => importVectorFile(model, file(scaled(1e5 / ratio)), 'e5.json')).toThrow(
      /beyond float16's range/,
    );
    const peak = vector.layers[2]!.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const { info } = await store.build(importVectorFile(model, file(scaled(60_000 / peak)), 'huge.json'));
    expect((60_000 / peak) * ratio).toBeGreaterThan(1000);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings![0]).toMatch(/^At layer 2 the vector's norm is [\d,]+ times the residual stream's/);
  });

  it('lenses the vector: its top promoted token is the one its direction raises most', async () => {
    const { vector } = await store.build(steeredPlan(experiment({}), spec()).vectors[STEERING_VECTOR]!);
    const lens = await lensOf(model, vector, 5);
    expect(lens.layer).toBe(2);
    expect(lens.promoted).toHaveLength(5);
    expect(lens.suppressed).toHaveLength(5);
    expect(lens.promoted[0]!.logit).toBeGreaterThan(lens.suppressed[0]!.logit);
    for (let i = 1; i < 5; i++)
      expect(lens.promoted[i]!.logit).toBeLessThanOrEqual(lens.promoted[i - 1]!.logit);
    expect(lens.promoted[0]!.text).toBe(model.tokenizer!.tokenString(lens.promoted[0]!.id));
    // The negated vector swaps the two lists.
    const neg = { ...vector, layers: { 2: vector.layers[2]!.map((x) => -x) } };
    expect((await lensOf(model, neg, 5)).promoted.map((t) => t.id)).toEqual(lens.suppressed.map((t) => t.id));
  });
});
