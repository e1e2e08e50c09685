import { describe, expect, it } from 'vitest';
import { formatPairs, parsePairs } from '../../../src/experiment';

describe('pasted pairs', () => {
  it('reads "positive | negative" lines and skips blank ones', () => {
    const r = parsePairs('I love it | I hate it\n\n  Great day|Awful day  \n');
    expect(r.pairs).toEqual([
      { positive: 'I love it', negative: 'I hate it' },
      { positive: 'Great day', negative: 'Awful day' },
    ]);
    expect(r.problems).toEqual([]);
  });

  it('reads CSV with quoted commas and doubled quotes, skipping a header', () => {
    const r = parsePairs('positive,negative\n"Yes, gladly","No, ""never"""\nfine,bad');
    expect(r.pairs).toEqual([
      { positive: 'Yes, gladly', negative: 'No, "never"' },
      { positive: 'fine', negative: 'bad' },
    ]);
  });

  it('reports lines that are not pairs, by number', () => {
    const r = parsePairs('good | bad\njust one side\na | b | c\n"open quote, x');
    expect(r.pairs).toHaveLength(1);
    expect(r.problems.map((p) => p.slice(0, 7))).toEqual(['Line 2 ', 'Line 3 ', 'Line 4 ']);
  });

  it('formats pairs back into lines it reads again', () => {
    const pairs = [{ positive: 'a, b', negative: 'c' }];
    expect(parsePairs(formatPairs(pairs)).pairs).toEqual(pairs);
  });
});
