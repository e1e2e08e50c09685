import { describe, expect, it } from 'vitest';
import { PairsFileError, parsePairs } from '../../../src/cli/pairs';

describe('pairs files', () => {
  it('reads a JSON list, an organism dataset and token-id pairs', () => {
    expect(parsePairs('[{"positive": "a", "negative": "b"}]', 'p.json')).toEqual([
      { positive: 'a', negative: 'b' },
    ]);
    expect(parsePairs('{"items": [{"id": "x", "positive": "a", "negative": "b"}]}', 'p.json')).toEqual([
      { positive: 'a', negative: 'b' },
    ]);
    expect(parsePairs('[{"positive": [1, 2], "negative": [1, 3]}]', 'p.json')).toEqual([
      { positive: [1, 2], negative: [1, 3] },
    ]);
  });

  it('reads CSV with or without a header, with quoted commas, quotes and newlines', () => {
    const csv =
      'negative,positive\r\n"I hate it, truly","I love it, truly"\n"say ""no""","say ""yes"""\n"two\nlines",one\n';
    expect(parsePairs(csv, 'p.csv')).toEqual([
      { positive: 'I love it, truly', negative: 'I hate it, truly' },
      { positive: 'say "yes"', negative: 'say "no"' },
      { positive: 'one', negative: 'two\nlines' },
    ]);
    expect(parsePairs('good,bad\nnice,mean', 'p.csv')).toEqual([
      { positive: 'good', negative: 'bad' },
      { positive: 'nice', negative: 'mean' },
    ]);
  });

  it('says which file and item is wrong', () => {
    expect(() => parsePairs('[{"positive": "a"}]', 'p.json')).toThrow(/p\.json: item 0/);
    expect(() => parsePairs('only-one-column\n', 'p.csv')).toThrow(PairsFileError);
    expect(() => parsePairs('"open,x\n', 'p.csv')).toThrow(/quoted field/);
    expect(() => parsePairs('[]', 'p.json')).toThrow(/no pairs/);
  });
});
