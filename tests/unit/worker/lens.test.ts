import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type HostTensor, loadModel, type Model, type ModelSource } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import {
  type Intervention,
  type SteeringVector,
  TUNED_LENS_FILE,
  TunedLens,
  tunedLensToSafetensors,
} from '../../../src/interp';
import type { LensGrid } from '../../../src/worker/api';
import { LensSession } from '../../../src/worker/lens';
import { useBackend } from '../../support/backend';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');
const PROMPT = 'Once upon a time there was a';

/** A fixed pseudo-random direction, scaled to matter at the layer it is added to. */
function direction(width: number, scale: number): Float32Array {
  let s = 7;
  return Float32Array.from({ length: width }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((s >>> 8) / 2 ** 24 - 0.5) * scale;
  });
}

/** The model's folder, with a tuned lens of `layers` translators (biases only) in place of its own. */
async function withTunedLens(source: ModelSource, model: Model, layers: number): Promise<ModelSource> {
  const d = model.spec.dModel;
  const host = new Map<string, HostTensor>();
  for (let l = 0; l < layers; l++) {
    host.set(`layer_translators.${l}.weight`, { shape: [d, d], data: new Float32Array(d * d) });
    host.set(`layer_translators.${l}.bias`, { shape: [d], data: direction(d, 4) });
  }
  const lens = TunedLens.fromHost({ nLayers: layers, dModel: d }, host);
  const bytes = await tunedLensToSafetensors(lens, model.id);
  lens.dispose();
  return {
    id: source.id,
    readText: (f, signal) => source.readText(f, signal),
    readBytes: (f, p, signal) =>
      f === TUNED_LENS_FILE ? Promise.resolve(bytes) : source.readBytes(f, p, signal),
    has: (f, signal) => (f === TUNED_LENS_FILE ? Promise.resolve(true) : source.has(f, signal)),
  };
}

function rowSlice(g: LensGrid, row: number, positions: number, k: number): number[] {
  return [...g.topIds.subarray(row * positions * k, (row + 1) * positions * k)];
}

describe('the lens session (worker side) on the llama organism', () => {
  let model: Model;
  let source: ModelSource;
  let session: LensSession;
  let tokens: number[];
  const add = (coefficient: number, layer: number): Intervention[] => [
    { kind: 'add', vector: 'v', coefficient, layers: [layer] },
  ];
  let vectors: Record<string, SteeringVector>;

  beforeAll(async () => {
    await useBackend('wasm');
    source = dirSource(DIR);
    model = await loadModel(source);
    session = new LensSession(model, source);
    tokens = model.tokenizer!.encode(PROMPT);
    const d = model.spec.dModel;
    const layers: Record<number, Float32Array> = {};
    for (let l = 0; l < model.spec.nLayers; l++) layers[l] = direction(d, 40);
    vectors = { v: { modelId: model.id, hook: 'resid_pre', width: d, rows: 1, layers } };
  });
  afterAll(() => {
    session?.dispose();
    model?.dispose();
  });

  it("puts the model's own greedy next token on top at the last layer and last position", async () => {
    const out = await session.run({ tokens, kind: 'logit', k: 5, track: [], vectors: {} });
    const greedy = await generate(model, tokens, { maxTokens: 1, temperature: 0 });
    const rows = out.rows.length;
    expect(rows).toBe(model.spec.nLayers + 1);
    const last = ((rows - 1) * tokens.length + tokens.length - 1) * out.k;
    expect(out.baseline.topIds[last]).toBe(greedy.tokens[0]);
    expect(out.texts[greedy.tokens[0]!]).toBe(model.tokenizer!.tokenString(greedy.tokens[0]!));
    // KL to the final layer is 0 on the final row.
    expect(out.baseline.kl[(rows - 1) * tokens.length]).toBe(0);
    expect(out.steered).toBeUndefined();
  });

  it('reports a tracked token with rank 0 and the top probability where it is the top token', async () => {
    const first = await session.run({ tokens, kind: 'logit', k: 3, track: [], vectors: {} });
    const rows = first.rows.length;
    const cell = (rows - 1) * tokens.length + tokens.length - 1;
    const top = first.baseline.topIds[cell * 3]!;
    const out = await session.run({ tokens, kind: 'logit', k: 3, track: [top], vectors: {} });
    expect(out.tracked).toEqual([top]);
    expect(out.baseline.trackedRanks[cell]).toBe(0);
    expect(out.baseline.trackedProbs[cell]).toBeCloseTo(out.baseline.topProbs[cell * 3]!, 5);
    expect(out.baseline.trackedProbs.length).toBe(rows * tokens.length);
  });

  it('tracks nothing, rather than failing, for a token id the model does not have', async () => {
    const out = await session.run({
      tokens,
      kind: 'logit',
      k: 2,
      track: [model.spec.vocabSize + 5],
      vectors: {},
    });
    expect(out.tracked).toEqual([]);
    expect(out.baseline.trackedProbs.length).toBe(0);
  });

  it('returns the baseline as the steered grid at strength 0 and changes only layers from the steered one on', async () => {
    const zero = await session.run({ tokens, kind: 'logit', k: 5, track: [], steered: add(0, 2), vectors });
    expect(zero.steered!.topIds).toEqual(zero.baseline.topIds);
    const out = await session.run({ tokens, kind: 'logit', k: 5, track: [], steered: add(1, 2), vectors });
    const n = tokens.length;
    const s = out.steered!;
    // Adding at resid_pre[2] (the hook after block 1's output is read) leaves rows 0..2 (embed,
    // post 0, post 1) untouched and changes block 2's output.
    const probs = (g: LensGrid, row: number) => [...g.topProbs.subarray(row * n * 5, (row + 1) * n * 5)];
    for (const row of [0, 1, 2]) {
      expect(rowSlice(s, row, n, 5)).toEqual(rowSlice(out.baseline, row, n, 5));
      expect(probs(s, row)).toEqual(probs(out.baseline, row));
    }
    expect(probs(s, 3)).not.toEqual(probs(out.baseline, 3));
    // The baseline is the same one as before (cached for slider drags).
    expect(out.baseline).toBe(zero.baseline);
  });

  it('reads the tuned lens beside the model, which agrees with the model at the last layer', async () => {
    const withTuned = new LensSession(model, await withTunedLens(source, model, model.spec.nLayers));
    const logit = await withTuned.run({ tokens, kind: 'logit', k: 5, track: [], vectors: {} });
    const tuned = await withTuned.run({ tokens, kind: 'tuned', k: 5, track: [], vectors: {} });
    expect(tuned.tunedError).toBeUndefined();
    expect(tuned.tunedAvailable).toBe(true);
    expect(tuned.kind).toBe('tuned');
    const n = tokens.length;
    const last = tuned.rows.length - 1;
    expect(rowSlice(tuned.baseline, last, n, 5)).toEqual(rowSlice(logit.baseline, last, n, 5));
    expect([...tuned.baseline.kl.subarray(0, n)]).not.toEqual([...logit.baseline.kl.subarray(0, n)]);
    withTuned.dispose();
  });

  it('reports a tuned lens that does not fit the model and uses the logit lens', async () => {
    const stale = new LensSession(model, await withTunedLens(source, model, model.spec.nLayers - 1));
    const out = await stale.run({ tokens, kind: 'tuned', k: 5, track: [], vectors: {} });
    expect(out.kind).toBe('logit');
    expect(out.tunedAvailable).toBe(false);
    expect(out.tunedError).toMatch(/does not fit/);
    stale.dispose();
  });

  it('falls back to the logit lens where the model has no tuned lens', async () => {
    const bare = new LensSession(model);
    const out = await bare.run({ tokens, kind: 'tuned', k: 5, track: [], vectors: {} });
    expect(out.kind).toBe('logit');
    expect(out.tunedAvailable).toBe(false);
    bare.dispose();
  });

  it('leaves no tensors behind after a steered run', async () => {
    const tunedSession = new LensSession(model, await withTunedLens(source, model, model.spec.nLayers));
    await tunedSession.run({ tokens, kind: 'tuned', k: 5, track: [], vectors: {} }); // lens read
    const before = tf.memory().numTensors;
    const out = await tunedSession.run({
      tokens,
      kind: 'tuned',
      k: 4,
      track: [5],
      steered: add(3, 1),
      vectors,
    });
    expect(out.kind).toBe('tuned');
    expect(tf.memory().numTensors).toBe(before);
    tunedSession.dispose();
    await new Promise((r) => setTimeout(r, 0));
    // The session frees its tuned lens's variables once disposed.
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('stops with a cancelled error when its signal is aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const before = tf.memory().numTensors;
    await expect(
      session.run({ tokens, kind: 'logit', k: 5, track: [], vectors, signal: ctl.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
