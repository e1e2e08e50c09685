/**
 * Contrast-pair files for `rudder steer`: JSON (`[{positive, negative}]`, or an organism dataset
 * `{items: [...]}`) or CSV with `positive,negative` columns (RFC 4180 quoting; a header row is
 * recognised by those names, otherwise the first two columns are taken).
 */
import type { ContrastPair } from '../interp';

export class PairsFileError extends Error {}

export function parsePairs(text: string, fileName: string): ContrastPair[] {
  const fail = (problem: string): never => {
    throw new PairsFileError(`${fileName}: ${problem}`);
  };
  const pairs =
    /\.json$/i.test(fileName) || /^\s*[[{]/.test(text) ? fromJson(text, fail) : fromCsv(text, fail);
  if (pairs.length === 0) fail('holds no pairs');
  return pairs;
}

function fromJson(text: string, fail: (p: string) => never): ContrastPair[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`is not valid JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(json) ? json : (json as { items?: unknown })?.items;
  if (!Array.isArray(list))
    fail('must hold a list of {"positive", "negative"} objects (or {"items": [...]})');
  return (list as unknown[]).map((item, i) => {
    const p = item as { positive?: unknown; negative?: unknown };
    const ok = (x: unknown) => typeof x === 'string' || (Array.isArray(x) && x.every(Number.isInteger));
    if (!ok(p?.positive) || !ok(p?.negative))
      fail(`item ${i} needs "positive" and "negative" texts (or token id lists)`);
    return {
      positive: p.positive as ContrastPair['positive'],
      negative: p.negative as ContrastPair['negative'],
    };
  });
}

function fromCsv(text: string, fail: (p: string) => never): ContrastPair[] {
  const rows = csvRows(text, fail).filter((r) => r.some((c) => c.trim() !== ''));
  const header = rows[0]?.map((c) => c.trim().toLowerCase()) ?? [];
  let [pi, ni] = [0, 1];
  if (header.includes('positive') && header.includes('negative')) {
    [pi, ni] = [header.indexOf('positive'), header.indexOf('negative')];
    rows.shift();
  }
  return rows.map((r, i) => {
    if (r[pi] === undefined || r[ni] === undefined) fail(`row ${i + 1} has fewer than two columns`);
    return { positive: r[pi]!, negative: r[ni]! };
  });
}

/** RFC 4180: fields separated by commas, quoted with "", quotes doubled inside quotes. */
function csvRows(text: string, fail: (p: string) => never): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) fail('ends inside a quoted field');
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}
