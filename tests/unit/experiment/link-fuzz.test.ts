/**
 * 10,000 share links: mutations of real experiments (the fixtures, every lesson and preset, an
 * imported vector, every intervention kind, an activation fingerprint) packed by an independent
 * encoder, so that they get past the checksum into the schema: hostile numbers (NaN, infinities,
 * 1e308, out-of-range layers, heads and positions), prototype keys, unknown models; and links
 * damaged as text (truncated, characters changed, oversized, random). Each must open as an
 * experiment that the shipped organism can take (its interventions compile, its vectors and
 * sources resolve, and it round-trips through a link) or end in a RudderError, within 2 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { hubSource, loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import {
  decode,
  defaultExperiment,
  type Experiment,
  encode,
  fingerprintField,
  fingerprintFromField,
  float16ToBase64,
  inlineLayers,
  LESSON_DATASETS,
  LESSONS,
  lessonExperiment,
  PRESETS,
  parseInterventions,
  presetPairs,
  steeredPlan,
  VectorSourceSchema,
} from '../../../src/experiment';
import { compile, type SteeringVector } from '../../../src/interp';
import { checkShape } from '../../../src/worker/inline-vectors';
import { useBackend } from '../../support/backend';
import {
  FuzzTally,
  hostileValue,
  int,
  jsonText,
  mutateJson,
  mutateText,
  pick,
  type Rng,
  rng,
} from '../../support/fuzz';

const ROOT = join(import.meta.dirname, '../../..');
const ORGANISM = join(ROOT, 'models/organism-llama');

/** Packs JSON text as a link the way url.ts does, with Node's zlib instead of CompressionStream. */
function linkOf(jsonText: string): string {
  const json = Buffer.from(jsonText, 'utf8');
  let h = 0x811c9dc5;
  for (const b of json) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  const check = Buffer.alloc(4);
  check.writeUInt32BE(h >>> 0);
  const payload = Buffer.concat([deflateRawSync(json), check]).toString('base64url');
  return `e1.${payload.length.toString(36)}.${payload}`;
}

/** Values aimed at experiments: the generic hostile ones, and numbers and names links use. */
function linkValue(r: Rng): unknown {
  return pick(r, [
    () => hostileValue(r),
    () => pick(r, [8, 9, 1023, 1024, 1025, -1, 2 ** 31]), // layers and heads around the bounds
    () => ({ kind: 'index', index: pick(r, [1e15, -1e15, 65_535, -65_536, 3, -3]) }),
    () => ({ kind: 'hub', repo: pick(r, ['evil/model', 'a--b/c', 'x/y..z', `${'a'.repeat(90)}/b`]) }),
    () => ({ kind: 'url', url: pick(r, ['https://example.com/m', 'javascript:alert(1)', '/models/../x']) }),
    () => ({ kind: 'shipped', name: pick(r, ['organism-gpt2', 'nope', '__proto__']) }),
    () => ({ from: 'import', format: 'json' }),
    () => ({
      kind: 'gate',
      heads: [{ layer: int(r, 12), head: int(r, 8), mode: pick(r, ['zero', 'mean', 'scale']), factor: 2 }],
    }),
  ])();
}

/** A vector of the organism's width at every layer, for whatever names the interventions use. */
function vectorsFor(model: Model, names: Iterable<string>): Record<string, SteeringVector> {
  const layers: Record<number, Float32Array> = {};
  for (let l = 0; l < model.spec.nLayers; l++)
    layers[l] = new Float32Array(model.spec.dModel).fill(0.01 * (l + 1));
  const out: Record<string, SteeringVector> = Object.create(null);
  for (const name of names)
    out[name] = { modelId: model.id, hook: 'resid_pre', width: model.spec.dModel, rows: 1, layers };
  return out;
}

describe('share links under fuzzing', () => {
  let model: Model;
  const bases: Experiment[] = [];
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(ORGANISM));
    const data = Object.fromEntries(
      LESSON_DATASETS.map((f) => [f, JSON.parse(readFileSync(join(ORGANISM, 'datasets', f), 'utf8'))]),
    ) as Parameters<typeof lessonExperiment>[1];
    const fixtures = ['minimal', 'refusal-extra', 'sentiment-steer'].map(
      (f) =>
        JSON.parse(readFileSync(join(ROOT, `tests/fixtures/experiments/${f}.json`), 'utf8')) as Experiment,
    );
    const e = defaultExperiment();
    const pairs = [{ positive: 'I love it', negative: 'I hate it' }];
    const vector = {
      from: 'inline',
      hook: 'resid_pre',
      width: 128,
      layers: { 2: float16ToBase64(new Float32Array(128).fill(0.25)) },
      name: 'v.json',
    } as const;
    bases.push(
      ...fixtures,
      ...LESSONS.map((l) => lessonExperiment(l, data)),
      ...PRESETS.map((p) => ({
        ...e,
        steering: { ...e.steering, pairs: presetPairs(p.id, [data['sentiment_pairs.json']]), layers: [3] },
      })),
      { ...e, steering: { ...e.steering, pairs, vector, coefficient: 4, layers: [2] } },
      { ...e, steering: { ...e.steering, pairs, operator: 'rotate', angle: 30 } },
      { ...e, steering: { ...e.steering, pairs, operator: 'units', alpha: 5, k: 10 } },
      {
        ...e,
        vectors: { extra: { from: 'actadd', model: 'm', positive: 'Love', negative: 'Hate', layer: 2 } },
        interventions: [
          {
            kind: 'add',
            vector: 'extra',
            coefficient: 2,
            layers: [1, 2],
            positions: { kind: 'from', start: 2 },
          },
          { kind: 'ablate', vector: 'extra', layer: 2, scope: 'vector', strength: 0.5 },
          { kind: 'layer-weighted', vector: 'extra', strength: 1, weights: [{ layer: 3, weight: 0.5 }] },
          {
            kind: 'guard',
            vector: 'extra',
            layer: 4,
            coefficient: 1,
            gate: { centroid: 'extra', threshold: 0.2 },
          },
          {
            kind: 'gate',
            heads: [
              { layer: 1, head: 2, mode: 'scale', factor: 0.5 },
              { layer: 0, head: 0, mode: 'zero' },
            ],
          },
          { kind: 'sparsify', thresholds: [0, 0.01, 0, 0.05] },
        ],
        fingerprint: fingerprintField(
          {
            spec: { seed: 7, k: 2, layers: [1, 3], positions: 2 },
            values: Float32Array.from({ length: 8 }, (_, i) => (i - 3.5) / 7),
          },
          'wasm',
        ),
      },
    );
  });
  afterAll(() => model?.dispose());

  /** What the page and the worker do with an opened link; anything wrong must be a RudderError. */
  async function use(exp: Experiment): Promise<void> {
    const shape = { id: model.id, nLayers: model.spec.nLayers };
    const steered = parseInterventions(
      steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).interventions,
    );
    const recipes = steeredPlan(exp, shape).vectors;
    for (const [name, source] of Object.entries(recipes)) {
      const parsed = VectorSourceSchema.parse(source);
      if (parsed.from === 'inline') {
        const layers = inlineLayers(parsed);
        // What the schema promises the worker: values that can steer.
        for (const data of Object.values(layers))
          if (!data.every(Number.isFinite) || data.every((x) => x === 0))
            throw new Error(`inline vector "${name}" holds values that cannot steer`);
        checkShape(
          model,
          { modelId: model.id, hook: parsed.hook, width: parsed.width, rows: 1, layers },
          name,
        );
      }
    }
    steeredPlan(exp, shape);
    if (exp.fingerprint) fingerprintFromField(exp.fingerprint);
    if (exp.model.kind === 'hub')
      hubSource(exp.model.repo, exp.model.revision ? { revision: exp.model.revision } : {});
    const compiled = compile(steered, { model, vectors: vectorsFor(model, Object.keys(recipes)) });
    compiled.dispose();
    // What opened must travel on in a link unchanged (or be refused as too large for one).
    const again = await decode(await encode(exp));
    if (JSON.stringify(again) !== JSON.stringify(exp))
      throw new Error('the experiment changed on a round trip');
  }

  it('opens and uses, or refuses, 10,000 links', async () => {
    const r = rng(17_006);
    const tally = new FuzzTally(
      'share links',
      (e) => !e.code.startsWith('experiment-') || /link/i.test(e.message),
    );
    for (let i = 0; i < 10_000; i++) {
      const base = pick(r, bases);
      const kind = r();
      let hash: string;
      if (kind < 0.55) {
        let json: unknown = base;
        for (let k = 1 + int(r, 4); k > 0; k--) json = mutateJson(r, json, linkValue);
        hash = linkOf(r() < 0.1 ? mutateText(r, jsonText(json)) : jsonText(json));
      } else {
        const good = linkOf(jsonText(base));
        hash = pick(r, [
          () => good.slice(0, int(r, good.length)), // cut short
          () => mutateText(r, good), // a character changed, dropped or added
          () => `e1.${good.slice(3).replace(/^[0-9a-z]+/, (n) => (Number.parseInt(n, 36) + 1).toString(36))}`,
          () => `e${int(r, 5)}.${good.slice(3)}`,
          () => good + 'A'.repeat(40_000), // oversized
          () => Array.from({ length: int(r, 200) }, () => String.fromCharCode(32 + int(r, 95))).join(''),
          () =>
            linkOf(
              pick(r, [
                'null',
                '[]',
                '"x"',
                '{}',
                '{"version":2}',
                '{"version":1e999}',
                '{"__proto__":{"version":1}}',
              ]),
            ),
        ])();
      }
      await tally.run(
        () => hash.slice(0, 400),
        async () => {
          const exp = await decode(`#${hash}`);
          if (exp) await use(exp);
        },
      );
    }
    tally.report();
  });
});
