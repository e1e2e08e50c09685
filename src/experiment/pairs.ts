/**
 * Pasted contrast pairs: one pair a line, either `positive | negative` or CSV
 * (`positive,negative`, fields in double quotes may hold commas and doubled quotes). A header
 * line `positive,negative` is skipped. Lines that are neither become problems, not pairs.
 */
import type { TextPair } from './schema';

export interface PastedPairs {
  readonly pairs: TextPair[];
  /** One line per line that was not a pair, with its number. */
  readonly problems: string[];
}

export function parsePairs(text: string): PastedPairs {
  const pairs: TextPair[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const fields = line.includes('|') ? line.split('|').map((f) => f.trim()) : csvFields(line);
    if (fields?.length !== 2 || fields[0] === '' || fields[1] === '') {
      problems.push(`Line ${i + 1} is not “positive | negative” or “positive,negative”.`);
      return;
    }
    const [positive, negative] = fields as [string, string];
    if (i === 0 && positive.toLowerCase() === 'positive' && negative.toLowerCase() === 'negative') return;
    pairs.push({ positive, negative });
  });
  return { pairs, problems };
}

/** The fields of one CSV line, or undefined when its quotes do not close. */
function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === ' ') i++;
    } else {
      const end = line.indexOf(',', i);
      field = (end < 0 ? line.slice(i) : line.slice(i, end)).trim();
      i = end < 0 ? line.length : end;
    }
    out.push(field);
    if (i >= line.length) return out;
    if (line[i] !== ',') return undefined;
    i++;
  }
}

/** Pairs as lines for the bulk editor (the inverse of parsePairs for text without '|'). */
export function formatPairs(pairs: readonly TextPair[]): string {
  return pairs.map((p) => `${p.positive} | ${p.negative}`).join('\n');
}
