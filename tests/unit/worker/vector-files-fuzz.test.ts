/**
 * 1,000 vector files (Rudder JSON, safetensors, llama.cpp / repeng GGUF) imported into the
 * shipped organism as a person would drop them: made from vectors of the right and the wrong
 * width, depth and model, with NaN, infinities, zeros and norms 10^5 times too large, then often
 * damaged byte by byte. Each must become a vector the model steers with (built, with its scale
 * warnings) or end in a RudderError naming the file, within 2 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import {
  type SteeringVector,
  VECTOR_HOOKS,
  vectorToGguf,
  vectorToJson,
  vectorToSafetensors,
} from '../../../src/interp';
import { importVectorFile } from '../../../src/worker/vector-files';
import { VectorStore } from '../../../src/worker/vectors';
import { useBackend } from '../../support/backend';
import { FuzzTally, int, mutateBytes, mutateJson, mutateText, pick, type Rng, rng } from '../../support/fuzz';

const ROOT = join(import.meta.dirname, '../../..');
const GGUF_FIXTURES = ['llamacpp-style.gguf', 'repeng-style.gguf'].map(
  (f) => new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/vectors', f))),
);

/** A vector of a plausible or deliberately wrong shape and scale. */
function vectorFor(r: Rng, model: Model): SteeringVector {
  const d = model.spec.dModel;
  const hook = r() < 0.7 ? 'resid_post' : pick(r, VECTOR_HOOKS);
  const width =
    r() < 0.7 ? (hook === 'mlp_post' ? model.spec.dMlp : d) : pick(r, [1, d - 1, d + 1, 16, 4096]);
  const rows = r() < 0.9 ? 1 : 2;
  const scale = pick(r, [1, 1, 1, 0.01, 1e3, 1e5, 1e-9, 0]);
  const layers: Record<number, Float32Array> = {};
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const data = Float32Array.from({ length: rows * width }, () => (r() * 2 - 1) * scale);
    if (r() < 0.1) data[int(r, data.length)] = pick(r, [Number.NaN, Number.POSITIVE_INFINITY, -1e38]);
    layers[r() < 0.85 ? 1 + int(r, model.spec.nLayers - 1) : pick(r, [0, model.spec.nLayers, 40, 1023])] =
      data;
  }
  const modelId = r() < 0.8 ? model.id : pick(r, ['hub:other/model@main', '', 'constructor']);
  return { modelId, hook, width, rows, layers };
}

/** One file's bytes and name: a vector written in some format, perhaps then damaged. */
function fileFor(r: Rng, model: Model, i: number): { bytes: Uint8Array; name: string } {
  const v = vectorFor(r, model);
  const format = pick(r, ['json', 'safetensors', 'gguf', 'gguf-fixture'] as const);
  if (format === 'json') {
    let text = vectorToJson(v);
    if (r() < 0.4) text = JSON.stringify(mutateJson(r, JSON.parse(text)));
    if (r() < 0.2) text = mutateText(r, text);
    return { bytes: new TextEncoder().encode(text), name: `fuzz-${i}.json` };
  }
  let bytes: Uint8Array;
  if (format === 'safetensors') bytes = vectorToSafetensors(v);
  else if (format === 'gguf-fixture') bytes = pick(r, GGUF_FIXTURES);
  else {
    try {
      bytes = vectorToGguf(v, { modelHint: 'llama' });
    } catch {
      bytes = vectorToSafetensors(v); // a vector llama.cpp has no form for
    }
  }
  if (r() < 0.4) bytes = mutateBytes(r, bytes);
  return { bytes, name: `fuzz-${i}.${format === 'safetensors' ? 'safetensors' : 'gguf'}` };
}

describe('vector files under fuzzing', () => {
  let model: Model;
  let store: VectorStore;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(join(ROOT, 'models/organism-llama')));
    store = new VectorStore(model);
  });
  afterAll(() => model?.dispose());

  it('imports and builds, or refuses, 1,000 vector files with a message naming the file', async () => {
    const r = rng(17_005);
    const tally = new FuzzTally('vector files', (e) => /fuzz-\d+\.(json|safetensors|gguf)/.test(e.message));
    let warned = 0;
    for (let i = 0; i < 1000; i++) {
      const { bytes, name } = fileFor(r, model, i);
      await tally.run(
        () => `${name}: ${[...bytes.subarray(0, 200)].join(',')}`,
        async () => {
          const { info } = await store.build(importVectorFile(model, bytes, name));
          if (info.warnings?.length) warned++;
        },
      );
    }
    console.log(`[fuzz] vector files: ${warned} imported with a scale warning`);
    tally.report();
  });
});
