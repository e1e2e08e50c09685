import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../../src/engine/node';
import { compile } from '../../../src/interp/compile';
import { evaluateFunctionVector } from '../../../src/interp/eval/function-vector-eval';
import { type OrganismData, readOrganismData } from '../../../src/interp/eval/organism-data';
import {
  buildFunctionVector,
  functionVectorHooks,
  type IclItem,
  iclPrompt,
  shuffledShots,
} from '../../../src/interp/function-vectors';
import { positionRange } from '../../../src/interp/positions';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { bitEqual, logits } from '../../support/steering';

/** The task each organism's zero-shot queries get most wrong on their own. */
const TASK = { 'organism-gpt2': 'present_participle', 'organism-llama': 'past_tense' } as const;

describe('few-shot prompts', () => {
  it('rebuild every organism prompt from its shots and query, and shuffle labels off their inputs', async () => {
    for (const name of Object.keys(TASK)) {
      const data = await readOrganismData(dirSource(`models/${name}`));
      expect(data.fewShot.length).toBeGreaterThan(0);
      for (const item of data.fewShot)
        expect(iclPrompt(item.shots!, item.query!, data.fewShotFormat)).toBe(item.prompt);
    }
    const shots = [
      ['hot', 'cold'],
      ['big', 'small'],
      ['up', 'down'],
    ] as const;
    expect(shuffledShots(shots)).toEqual([
      ['hot', 'small'],
      ['big', 'down'],
      ['up', 'cold'],
    ]);
    expect(iclPrompt([], 'awake')).toBe('awake ->');
  });
});

for (const [name, task] of Object.entries(TASK)) {
  describe(`function vectors on ${name} (METHODS.md §13)`, () => {
    let model: Model;
    let data: OrganismData;
    let items: IclItem[];
    beforeAll(async () => {
      await useBackend('wasm');
      const source = dirSource(`models/${name}`);
      model = await loadModel(source);
      data = await readOrganismData(source);
      items = data.fewShot.filter((i) => i.task === task) as unknown as IclItem[];
    });
    afterAll(() => model.dispose());

    it(`makes zero-shot ${task} queries succeed more often with the FV added`, async () => {
      const half = Math.floor(items.length / 2);
      const fv = await expectNoLeaks(() =>
        buildFunctionVector(model, items.slice(0, half), data.fewShotFormat, { corruption: 'zero-shot' }),
      );
      const { nLayers: L, nHeads: H } = model.spec;
      expect(fv.aie.length).toBe(L * H);
      expect(fv.heads.length).toBe(Math.ceil((L * H) / 8));
      expect(fv.heads[0]!.aie).toBe(Math.max(...fv.aie));
      expect(fv.layer).toBe(Math.round(L / 3));
      const figures = await expectNoLeaks(() =>
        evaluateFunctionVector(model, fv, items.slice(half), { format: data.fewShotFormat }),
      );
      expect(figures.fewShot).toBeGreaterThanOrEqual(0.9);
      expect(figures.zeroShot).toBeLessThan(0.7);
      expect(figures.zeroShotFv).toBeGreaterThanOrEqual(figures.zeroShot + 0.3);
      expect(figures.readout.length).toBe(20);
    });

    it("is the experiment's add intervention at the prompt's last position (prompt pass only)", async () => {
      const tokens = model.tokenizer!.encode('walk ->');
      const fv = new Float32Array(model.spec.dModel).map((_, i) => Math.sin(i) / 2);
      const compiled = compile(
        { kind: 'add', vector: 'fv', coefficient: 1, layers: [1], positions: { kind: 'prompt-last' } },
        {
          model,
          vectors: {
            fv: { modelId: model.id, hook: 'resid_post', width: fv.length, rows: 1, layers: { 1: fv } },
          },
        },
      );
      const viaExperiment = logits(model, tokens, compiled.hooks);
      compiled.dispose();
      const own = logits(model, tokens, functionVectorHooks(fv, 1));
      viaExperiment.forEach((row, t) => expect(bitEqual(row, own[t]!)).toBe(true));
      expect(positionRange({ kind: 'prompt-last' }, { offset: 0, length: 5, step: 0 })).toEqual([4, 5]);
      expect(positionRange({ kind: 'prompt-last' }, { offset: 5, length: 1, step: 1 })).toBeUndefined();
    });

    it('adds nothing at scale 0 and only at the last prompt token otherwise', async () => {
      const tokens = model.tokenizer!.encode('walk ->');
      const fv = new Float32Array(model.spec.dModel).fill(0.5);
      const base = logits(model, tokens);
      const none = logits(model, tokens, functionVectorHooks(fv, 1, 0));
      const added = logits(model, tokens, functionVectorHooks(fv, 1));
      base.forEach((row, t) => expect(bitEqual(row, none[t]!)).toBe(true));
      base.slice(0, -1).forEach((row, t) => expect(bitEqual(row, added[t]!)).toBe(true));
      expect(bitEqual(base.at(-1)!, added.at(-1)!)).toBe(false);
    });
  });
}
