import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelHost } from '../../../src/worker/host';
import { organismHost } from '../../support/organism-host';

const PAIRS = [
  {
    positive: 'It was a lovely day at the park. Mia smiled.',
    negative: 'It was a horrible day at the park. Mia frowned.',
  },
  { positive: 'Tom woke up feeling cheerful.', negative: 'Tom woke up feeling miserable.' },
];

describe('strength in norm units (METHODS.md §19)', () => {
  let host: ModelHost;
  beforeAll(async () => {
    host = await organismHost();
  });
  afterAll(() => host?.dispose());

  it('adds s typical norms: the same text as the raw coefficient s·T/‖v‖, and the vector info says T', async () => {
    const base = {
      version: 1,
      prompt: { text: 'Finn had an old bicycle and a friend named Chloe.' },
      generation: { maxTokens: 16, temperature: 0 },
    } as const;
    const steering = { pairs: PAIRS, layers: [4] };
    const info = await host.buildVector({ experiment: { ...base, steering } });
    const T = info.typicalNorms![0]!;
    expect(T).toBeGreaterThan(5);
    const s = 0.4;
    const norm = await host.generate({
      experiment: { ...base, steering: { ...steering, unit: 'norm', coefficient: s } },
      sides: 'steered',
    });
    const raw = await host.generate({
      experiment: { ...base, steering: { ...steering, unit: 'raw', coefficient: (s * T) / info.norms[0]! } },
      sides: 'steered',
    });
    const plain = await host.generate({ experiment: { ...base, steering }, sides: 'steered' });
    expect(norm.steered!.tokens).toEqual(raw.steered!.tokens);
    expect(norm.steered!.tokens).not.toEqual(plain.steered!.tokens);
  });
});
