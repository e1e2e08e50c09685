import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, type HookName, type Model } from '../../../src/engine';
import { collectActivations, type Position } from '../../../src/interp/activations';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { llamaSpec, randomModel } from '../../support/random-model';

const PROMPTS = [
  [1, 5, 9],
  [1, 7, 3, 8, 2, 6],
  [1, 4],
];
const HOOKS: HookName[] = ['blocks.1.hook_resid_pre', 'blocks.0.attn.hook_z'];

describe('collectActivations', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(llamaSpec(), 2);
  });
  afterAll(() => model.dispose());

  /** The activation of one prompt run alone, [pos][width]. */
  function alone(prompt: number[], hook: HookName): number[][] {
    const r = model.run(prompt, { cache: [hook], logits: 'none' });
    const t = r.cache.get(hook)!;
    const width = t.size / prompt.length;
    const data = Array.from(t.dataSync());
    disposeResult(r);
    return prompt.map((_, i) => data.slice(i * width, (i + 1) * width));
  }

  function expectRowClose(got: Float32Array, want: number[]): void {
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThan(1e-4));
  }

  const cases: [string, Position, (rows: number[][]) => number[]][] = [
    ['the last token', { kind: 'last' }, (rows) => rows.at(-1)!],
    ['a fixed index', { kind: 'index', index: 1 }, (rows) => rows[1]!],
    ['an index from the end', { kind: 'index', index: -2 }, (rows) => rows.at(-2)!],
    [
      'the mean over the prompt',
      { kind: 'mean' },
      (rows) => rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length),
    ],
  ];
  for (const [label, position, pick] of cases) {
    it(`reads ${label} of each prompt in a padded batch as if run alone`, async () => {
      const got = await expectNoLeaks(() =>
        collectActivations(model, PROMPTS, HOOKS, position, { batchSize: 2 }),
      );
      for (const hook of HOOKS) {
        PROMPTS.forEach((p, i) => expectRowClose(got.get(hook)![i]!, pick(alone(p, hook))));
      }
    });
  }

  it('returns every position of each prompt for ActAdd-style vectors', async () => {
    const got = await collectActivations(model, PROMPTS, HOOKS.slice(0, 1), { kind: 'all' });
    PROMPTS.forEach((p, i) => expectRowClose(got.get(HOOKS[0]!)![i]!, alone(p, HOOKS[0]!).flat()));
  });

  it('reports progress per batch', async () => {
    const seen: [number, number][] = [];
    await collectActivations(
      model,
      PROMPTS,
      HOOKS,
      { kind: 'last' },
      { batchSize: 2, onProgress: (d, t) => seen.push([d, t]) },
    );
    expect(seen).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });

  it('reads a single position as an exact copy of that row of the every-position read', async () => {
    const all = await expectNoLeaks(() =>
      collectActivations(model, PROMPTS, HOOKS, { kind: 'all' }, { batchSize: 2 }),
    );
    for (const [position, row] of [
      [{ kind: 'last' }, (n: number) => n - 1],
      [{ kind: 'index', index: 1 }, () => 1],
    ] as const) {
      const got = await collectActivations(model, PROMPTS, HOOKS, position, { batchSize: 2 });
      for (const hook of HOOKS) {
        expect(got.get(hook)).toHaveLength(PROMPTS.length);
        got.get(hook)!.forEach((r, i) => {
          const t = row(PROMPTS[i]!.length);
          expect(Array.from(r)).toEqual(
            Array.from(all.get(hook)![i]!.subarray(t * r.length, (t + 1) * r.length)),
          );
        });
      }
    }
  });

  it('rejects an index outside a prompt without leaking the batch', async () => {
    await expectNoLeaks(() =>
      expect(collectActivations(model, PROMPTS, HOOKS, { kind: 'index', index: 5 })).rejects.toThrow(
        /outside a 3-token/,
      ),
    );
  });
});
