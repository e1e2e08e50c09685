import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, disposeResult, loadModel, type Model, type ModelSource } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { chatPrompt, needsHeadMeans, patch, REFUSAL_PREFIXES, readOrganismData } from '../../../src/interp';
import { HeadsSession } from '../../../src/worker/heads';
import { useBackend } from '../../support/backend';
import { withoutSyncReads } from '../../support/sync-reads';

const MODELS = resolve(import.meta.dirname, '../../../models');
const STORY = 'Once upon a time there was a';

describe.each(['organism-llama', 'organism-gpt2'])('the heads session (worker side) on %s', (name) => {
  let model: Model;
  let source: ModelSource;
  let session: HeadsSession;
  let story: number[];
  const plain = (t: string) => model.tokenizer!.encode(t);
  const chat = (t: string) => chatPrompt(model, t);

  beforeAll(async () => {
    await useBackend('wasm');
    source = dirSource(resolve(MODELS, name));
    model = await loadModel(source);
    session = new HeadsSession(model, source);
    story = plain(STORY);
  });
  afterAll(() => model?.dispose());

  it('gives each head an attention pattern whose rows are causal distributions', async () => {
    const before = tf.memory().numTensors;
    const p = await session.pattern(story, 1, 2);
    expect(tf.memory().numTensors).toBe(before);
    const T = story.length;
    expect(p.tokens).toHaveLength(T);
    expect(p.weights).toHaveLength(T);
    p.weights.forEach((row, q) => {
      expect(row).toHaveLength(T);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (let k = q + 1; k < T; k++) expect(row[k]).toBe(0);
    });
    await expect(session.pattern(story, model.spec.nLayers, 0)).rejects.toThrow(/no head/);
  });

  it("scores entropy as the entropy of the head's attention from the last position", async () => {
    const { nLayers: L, nHeads: H } = model.spec;
    const before = tf.memory().numTensors;
    const s = await session.scores(story, { measure: 'entropy' }, plain);
    expect(tf.memory().numTensors).toBe(before);
    expect(s.values).toHaveLength(L * H);
    const last = (await session.pattern(story, 2, 1)).weights.at(-1)!;
    const h = -last.reduce((a, w) => a + (w > 0 ? w * Math.log(w) : 0), 0);
    expect(s.values[2 * H + 1]).toBeCloseTo(h, 5);
    for (const v of s.values) expect(v).toBeLessThanOrEqual(Math.log(story.length) + 1e-5);
  });

  it("attributes by default the difference between the model's two most likely next tokens", async () => {
    const before = tf.memory().numTensors;
    const s = await session.scores(story, { measure: 'dla' }, plain);
    expect(tf.memory().numTensors).toBe(before);
    const r = model.run(story, { logits: 'last' });
    const logits = r.logits!.dataSync();
    disposeResult(r);
    const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!);
    expect(s.dla!.target.id).toBe(order[0]);
    expect(s.dla!.baseline.id).toBe(order[1]);
    expect(s.next[0]!.id).toBe(order[0]);
    expect(s.dla!.logitDiff).toBeCloseTo(logits[order[0]!]! - logits[order[1]!]!, 3);
    expect(s.values).toHaveLength(model.spec.nLayers * model.spec.nHeads);
    // A chosen pair swapped flips every head's sign.
    const swapped = await session.scores(
      story,
      { measure: 'dla', tokens: { target: order[1]!, baseline: order[0]! } },
      plain,
    );
    swapped.values.forEach((v, i) => expect(v).toBeCloseTo(-s.values[i]!, 4));
  });

  it('patches a refused prompt into a harmless counterpart; each cell is that single-head patch', async () => {
    const data = await readOrganismData(source);
    const harmful = data.harmful[0]!.instruction;
    const tokens = chat(harmful);
    const before = tf.memory().numTensors;
    const s = await session.scores(tokens, { chat: true, measure: 'patch' }, chat);
    expect(tf.memory().numTensors).toBe(before);
    expect(s.patch!.from).toBe('harmless');
    expect(data.harmless.map((r) => r.instruction)).toContain(s.patch!.counterpart);
    expect(s.patch!.clean).toBeGreaterThan(s.patch!.corrupt);
    const target = chat(s.patch!.counterpart);
    const H = model.spec.nHeads;
    const cell = { layer: model.spec.nLayers - 1, head: 1 };
    const one = await patch(model, { source: tokens, target }, [{ kind: 'head', ...cell, position: -1 }], {
      kind: 'refusal-score',
      refusal: refusalIds(model),
    });
    expect(s.values[cell.layer * H + cell.head]).toBeCloseTo(one.patched - one.target, 4);
    expect(one.source).toBeCloseTo(s.patch!.clean, 4);
  });

  it('uses a given counterpart as it is', async () => {
    const s = await session.scores(
      story,
      { measure: 'patch', counterpart: 'The dog ran to the park' },
      plain,
    );
    expect(s.patch).toMatchObject({ from: 'given', counterpart: 'The dog ran to the park' });
  });

  it('cancels an older scoring when a newer one starts', async () => {
    const first = session.scores(story, { measure: 'dla' }, plain);
    const second = session.scores(story, { measure: 'entropy' }, plain);
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect((await second).measure).toBe('entropy');
    await session.idle();
  });

  it('reads every number back asynchronously, for each measure and for the head means', async () => {
    const fresh = new HeadsSession(model, source);
    for (const measure of ['dla', 'entropy', 'patch'] as const) {
      const s = await withoutSyncReads(() => fresh.scores(story, { measure }, plain));
      expect(s.values).toHaveLength(model.spec.nLayers * model.spec.nHeads);
      if (measure === 'dla') expect(s.next[0]!.prob).toBeGreaterThan(0);
    }
    const means = await withoutSyncReads(() => fresh.headMeans(story));
    expect(means.z).toHaveLength(model.spec.nLayers);
    await fresh.idle();
  });

  it('supplies head means for mean gates only, over the neutral openings', async () => {
    expect(needsHeadMeans([{ kind: 'gate', heads: [{ layer: 0, head: 0, mode: 'zero' }] }])).toBe(false);
    expect(needsHeadMeans([{ kind: 'gate', heads: [{ layer: 0, head: 0, mode: 'mean' }] }])).toBe(true);
    const means = await session.headMeans(story);
    const { nLayers, nHeads, dHead } = model.spec;
    expect(means.z).toHaveLength(nLayers);
    expect(means.z[0]).toHaveLength(nHeads * dHead);
    // Cached over the neutral openings: the same means for another prompt, not a recomputation.
    expect(await session.headMeans([1, 2])).toBe(means);
  });
});

/** R as the session builds it: the first tokens of the usual refusal openings, with and without a space. */
function refusalIds(model: Model): number[] {
  const tok = model.tokenizer!;
  const ids = REFUSAL_PREFIXES.flatMap((p) => [
    tok.encode(p, { addSpecialTokens: false })[0],
    tok.encode(` ${p}`, { addSpecialTokens: false })[0],
  ]);
  return [...new Set(ids.filter((id): id is number => id !== undefined))];
}
