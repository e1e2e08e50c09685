/**
 * Seeded fuzzing of the files and links a person can hand Rudder. Inputs are mutations of real,
 * valid ones (the shipped organisms' files, the reference fixtures), structure-aware (a field
 * set to a hostile value, a key removed or added) or textual (truncated, bit-flipped), so that
 * most of them get past the JSON parser into the code that reads the fields.
 *
 * `FuzzTally.run` classifies each input's outcome: accepted, rejected with a RudderError whose
 * message names the file, or a failure (any other exception, a message that names no file, a
 * case over the time limit); the tests assert there are no failures and print the figures.
 */
import { expect } from 'vitest';
import { RudderError } from '../../src/engine/errors';

export { rng } from './safetensors-bytes';

export type Rng = () => number;

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const int = (r: Rng, n: number): number => Math.floor(r() * n);

/** Values that break readers: bounds, types, prototype keys, markup, sizes. */
export function hostileValue(r: Rng): unknown {
  const values: (() => unknown)[] = [
    () => 0,
    () => -1,
    () => 1,
    () => 0.5,
    () => -0,
    () => 2 ** 31,
    () => 2 ** 53 + 2,
    () => 1e15,
    () => -1e15,
    () => 1e308,
    () => -1e308,
    () => 5e-324,
    () => Number.POSITIVE_INFINITY, // what JSON.parse makes of 1e999
    () => 1_000_000,
    () => 1e9,
    () => '',
    () => 'x',
    () => '1',
    () => '__proto__',
    () => 'constructor',
    () => 'toString',
    () => '<img src=x onerror=alert(1)>',
    () => '../../../etc/passwd',
    () => '\u0000\uffff\ud800',
    () => 'x'.repeat(100_000),
    () => null,
    () => true,
    () => false,
    () => [],
    () => [1, 2, 3],
    () => Array.from({ length: 10_000 }, (_, i) => i),
    () => ({}),
    () => ({ __proto__: { polluted: true } }),
    () => JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
  ];
  return pick(r, values)();
}

type Json = unknown;

/** Every path to a value in `x` (object keys and array indices), the root excluded. */
function paths(
  x: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (out.length > 5000) return out;
  if (Array.isArray(x)) {
    // Long arrays (vocabularies, merges) are sampled, not walked.
    const step = Math.max(1, Math.floor(x.length / 50));
    for (let i = 0; i < x.length; i += step) {
      out.push([...prefix, i]);
      paths(x[i], [...prefix, i], out);
    }
  } else if (x !== null && typeof x === 'object') {
    const keys = Object.keys(x);
    const step = Math.max(1, Math.floor(keys.length / 50));
    for (let i = 0; i < keys.length; i += step) {
      const k = keys[i]!;
      out.push([...prefix, k]);
      paths((x as Record<string, Json>)[k], [...prefix, k], out);
    }
  }
  return out;
}

function parentOf(root: Json, path: (string | number)[]): Record<string | number, Json> {
  let node = root as Record<string | number, Json>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, Json>;
  return node;
}

/** A copy of `value` with one structure-aware mutation; `hostile` supplies replacement values. */
export function mutateJson(r: Rng, value: Json, hostile: (r: Rng) => unknown = hostileValue): Json {
  const root = structuredClone(value);
  const all = paths(root);
  if (all.length === 0) return hostile(r);
  const path = pick(r, all);
  const parent = parentOf(root, path);
  const key = path[path.length - 1]!;
  const current = parent[key];
  const define = (k: string | number, v: unknown) =>
    Object.defineProperty(parent, k, { value: v, enumerable: true, writable: true, configurable: true });
  switch (int(r, 7)) {
    case 0:
    case 1:
      define(key, hostile(r));
      break;
    case 2:
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 3:
      // Keys JSON.parse would create as own properties (a link or file can hold them).
      define(pick(r, ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']), hostile(r));
      break;
    case 4:
      if (typeof current === 'number') {
        define(
          key,
          pick(r, [
            current + 1,
            current - 1,
            current * 2,
            current * 1000,
            -current,
            current / 2,
            current + 0.5,
          ]),
        );
      } else define(key, hostile(r));
      break;
    case 5: {
      // Another value of the same document in its place (a plausible type, the wrong meaning).
      const other = pick(r, all);
      define(key, structuredClone(parentOf(root, other)[other.at(-1)!]));
      break;
    }
    default:
      if (Array.isArray(current)) define(key, [...current, ...current]);
      else if (typeof current === 'string') define(key, current + current);
      else define(key, hostile(r));
  }
  return root;
}

/** JSON text of `value`, with infinities written as 1e999 (which JSON.parse reads back as them). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v === Number.POSITIVE_INFINITY ? 'INF\u0001' : v === Number.NEGATIVE_INFINITY ? '-INF\u0001' : v,
  )
    .replaceAll('"INF\\u0001"', '1e999')
    .replaceAll('"-INF\\u0001"', '-1e999');
}

/** A copy of `text` truncated, bit-flipped, with a range deleted, duplicated, or chars inserted. */
export function mutateText(r: Rng, text: string): string {
  if (text.length === 0) return String.fromCharCode(int(r, 128));
  const at = int(r, text.length);
  switch (int(r, 5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return (
        text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << int(r, 7))) + text.slice(at + 1)
      );
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + int(r, 64));
    case 3:
      return text.slice(0, at) + text.slice(at, at + int(r, 256)) + text.slice(at);
    default:
      return (
        text.slice(0, at) +
        pick(r, ['{', '}', '"', ',', ':', '[', ']', '\\', '1e999', 'NaN', '-', '\u0000']) +
        text.slice(at)
      );
  }
}

/** A copy of `bytes` truncated, bit-flipped, or with bytes overwritten. */
export function mutateBytes(r: Rng, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  if (out.length === 0) return Uint8Array.of(int(r, 256));
  switch (int(r, 3)) {
    case 0:
      return out.slice(0, int(r, out.length));
    case 1:
      for (let k = 1 + int(r, 4); k > 0; k--) out[int(r, out.length)]! ^= 1 << int(r, 8);
      return out;
    default:
      for (let k = 1 + int(r, 4); k > 0; k--) out[int(r, out.length)] = int(r, 256);
      return out;
  }
}

export interface FuzzFigures {
  readonly kind: string;
  readonly tried: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections by error code. */
  readonly codes: Readonly<Record<string, number>>;
  readonly unexpected: number;
  readonly slowestMs: number;
  readonly peakRssMb: number;
}

/**
 * Runs fuzz cases and tallies their outcomes. A case passes when it resolves (accepted) or
 * throws a RudderError whose message `names` says is about the file (rejected); anything else is
 * recorded as unexpected with its input's description, and so is a case slower than `maxMs`.
 */
export class FuzzTally {
  private tried = 0;
  private accepted = 0;
  private readonly codes: Record<string, number> = {};
  private readonly failures: string[] = [];
  private unexpected = 0;
  private slowestMs = 0;
  private peakRss = 0;

  constructor(
    readonly kind: string,
    /** Whether a rejection's message names the input (the file, the link) and so helps a person. */
    private readonly names: (error: RudderError) => boolean,
    private readonly maxMs = 2000,
  ) {}

  async run(describe: () => string, attempt: () => unknown | Promise<unknown>): Promise<void> {
    this.tried++;
    const start = performance.now();
    try {
      await attempt();
      this.accepted++;
    } catch (e) {
      if (!(e instanceof RudderError)) {
        this.fail(describe, `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300));
      } else if (!this.names(e)) {
        this.fail(describe, `${e.code} without the file's name: ${e.message.slice(0, 300)}`);
      } else {
        this.codes[e.code] = (this.codes[e.code] ?? 0) + 1;
      }
    }
    const ms = performance.now() - start;
    this.slowestMs = Math.max(this.slowestMs, ms);
    if (ms > this.maxMs) this.fail(describe, `took ${Math.round(ms)} ms`);
    if (this.tried % 25 === 0) this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  private fail(describe: () => string, what: string): void {
    this.unexpected++;
    if (this.failures.length < 20) this.failures.push(`${what}\n    input: ${describe().slice(0, 400)}`);
  }

  figures(): FuzzFigures {
    const rejected = Object.values(this.codes).reduce((a, b) => a + b, 0);
    return {
      kind: this.kind,
      tried: this.tried,
      accepted: this.accepted,
      rejected,
      codes: this.codes,
      unexpected: this.unexpected,
      slowestMs: Math.round(this.slowestMs),
      peakRssMb: Math.round(this.peakRss / 2 ** 20),
    };
  }

  /** Prints the figures and asserts there were no unexpected outcomes. */
  report(): FuzzFigures {
    const f = this.figures();
    console.log(
      `[fuzz] ${f.kind}: ${f.tried} tried, ${f.accepted} accepted, ${f.rejected} rejected cleanly ` +
        `(${Object.entries(f.codes)
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}), ${f.unexpected} unexpected; slowest ${f.slowestMs} ms, peak RSS ${f.peakRssMb} MB`,
    );
    expect(this.failures, this.failures.join('\n')).toEqual([]);
    return f;
  }
}
