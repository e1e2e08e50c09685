import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decode,
  defaultExperiment,
  EXPERIMENT_VERSION,
  type Experiment,
  ExperimentError,
  ExperimentSchema,
  encode,
  exportExperiment,
  importExperiment,
  MAX_LINK_CHARS,
} from '../../../src/experiment';

const DIR = resolve(import.meta.dirname, '../../fixtures/experiments');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, ExperimentSchema.parse(JSON.parse(readFileSync(join(DIR, f), 'utf8')))] as const);

/** Rejects with an ExperimentError of this code (and never anything else). */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<ExperimentError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExperimentError);
  expect((e as ExperimentError).code).toBe(code);
  return e as ExperimentError;
}

async function deflate(text: string): Promise<Uint8Array> {
  const s = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

describe('experiment links', () => {
  it('has fixtures to round-trip', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
  });

  for (const [name, exp] of fixtures) {
    it(`round-trips ${name} through the hash unchanged`, async () => {
      const hash = await encode(exp);
      expect(hash).toMatch(/^e1\.[0-9a-z]+\.[A-Za-z0-9_-]+$/);
      expect(await decode(`#${hash}`)).toEqual(exp);
    });

    it(`round-trips ${name} through an exported file unchanged`, () => {
      expect(importExperiment(exportExperiment(exp))).toEqual(exp);
    });
  }

  it('fills every default from a bare { version: 1 }', () => {
    const exp = ExperimentSchema.parse({ version: 1 });
    expect(exp).toEqual(defaultExperiment());
    expect(exp.model).toEqual({ kind: 'shipped', name: 'organism-llama' });
    expect(exp.generation).toEqual({ maxTokens: 40, temperature: 0.8, topP: 0.95, seed: 1 });
    expect(exp.steering.coefficient).toBe(0);
  });

  it("carries the function vectors view's corruption, and an older link without it replays zero-shot", async () => {
    const shuffled = ExperimentSchema.parse({
      version: 1,
      view: { tab: 'fv', fv: { task: 'antonym', corruption: 'shuffled' } },
    });
    expect(await decode(`#${await encode(shuffled)}`)).toEqual(shuffled);
    expect((await decode(`#${await encode(shuffled)}`))!.view.fv.corruption).toBe('shuffled');
    expect(importExperiment(exportExperiment(shuffled)).view.fv.corruption).toBe('shuffled');
    // Links written before the setting existed: the view's fv left out, or present without it.
    const old = ExperimentSchema.parse({ version: 1, view: { tab: 'fv', fv: { task: 'antonym' } } });
    expect(old.view.fv).toEqual({ task: 'antonym', corruption: 'zero-shot' });
    expect(defaultExperiment().view.fv).toEqual({ corruption: 'zero-shot' });
    expect(ExperimentSchema.safeParse({ version: 1, view: { fv: { corruption: 'random' } } }).success).toBe(
      false,
    );
  });

  it('keeps markup in prompts as plain text', async () => {
    const exp = { ...defaultExperiment(), prompt: { text: '<img src=x onerror=alert(1)>', chat: false } };
    expect((await decode(await encode(exp)))?.prompt.text).toBe('<img src=x onerror=alert(1)>');
  });

  it('reads an empty hash as no experiment', async () => {
    expect(await decode('')).toBeUndefined();
    expect(await decode('#')).toBeUndefined();
  });

  it('says a link was cut short when characters are missing from its end', async () => {
    const hash = await encode(fixtures[1]![1]);
    const e = await rejectsWith(decode(hash.slice(0, -10)), 'experiment-truncated');
    expect(e.message).toMatch(/cut short/);
  });

  it('says a link is damaged when one character was changed', async () => {
    const hash = await encode(fixtures[1]![1]);
    const i = hash.length - 12;
    const tampered = hash.slice(0, i) + (hash[i] === 'A' ? 'B' : 'A') + hash.slice(i + 1);
    await rejectsWith(decode(tampered), 'experiment-damaged');
  });

  it('refuses text that is not a Rudder link as malformed', async () => {
    await rejectsWith(decode('#section-2'), 'experiment-malformed');
    await rejectsWith(decode('#e1.zz.@@@'), 'experiment-malformed');
  });

  it('refuses a link from a newer version, by prefix and by content', async () => {
    const e = await rejectsWith(decode('#e2.4.abcd'), 'experiment-newer');
    expect(e.message).toMatch(/newer version of Rudder/);
    // A v1 envelope around a version-2 experiment (a future format change inside the JSON).
    const hash = await encode(defaultExperiment());
    const json = JSON.stringify({ version: EXPERIMENT_VERSION + 1, model: { kind: 'future' } });
    const forged = await forge(json);
    expect(forged).not.toBe(hash);
    await rejectsWith(decode(forged), 'experiment-newer');
  });

  it('refuses a well-formed link whose experiment breaks the schema, naming the field', async () => {
    const forged = await forge(JSON.stringify({ version: 1, generation: { maxTokens: -3 } }));
    const e = await rejectsWith(decode(forged), 'experiment-invalid');
    expect(e.message).toContain('generation.maxTokens');
  });

  it('refuses links over the size limit before reading them', async () => {
    await rejectsWith(decode(`#e1.1.${'A'.repeat(MAX_LINK_CHARS)}`), 'experiment-too-large');
  });

  it('refuses to encode an experiment whose link would pass the limit', async () => {
    // Random text does not compress: 500 pairs of it cannot fit in 32 KB.
    const rand = (n: number) => Array.from({ length: n }, () => Math.random().toString(36).slice(2)).join('');
    const exp: Experiment = {
      ...defaultExperiment(),
      steering: {
        ...defaultExperiment().steering,
        pairs: Array.from({ length: 500 }, () => ({ positive: rand(8), negative: rand(8) })),
      },
    };
    await rejectsWith(encode(exp), 'experiment-too-large');
  });

  it('refuses a small link that inflates past any real experiment', async () => {
    const bomb = await forge(JSON.stringify({ version: 1, prompt: { text: 'a'.repeat(3_000_000) } }));
    expect(bomb.length).toBeLessThan(MAX_LINK_CHARS);
    await rejectsWith(decode(bomb), 'experiment-too-large');
  });
});

describe('experiment files', () => {
  it('refuses a file that is not JSON', () => {
    expect(() => importExperiment('{ nope')).toThrow(ExperimentError);
    try {
      importExperiment('{ nope');
    } catch (e) {
      expect((e as ExperimentError).code).toBe('experiment-malformed');
    }
  });

  it('refuses a file from a newer version', () => {
    try {
      importExperiment(JSON.stringify({ version: 9 }));
      expect.unreachable();
    } catch (e) {
      expect((e as ExperimentError).code).toBe('experiment-newer');
      expect((e as ExperimentError).message).toMatch(/This file/);
    }
  });
});

/** A link around arbitrary JSON, built the way encode builds one (for inputs encode refuses). */
async function forge(json: string): Promise<string> {
  const body = new TextEncoder().encode(json);
  const deflated = await deflate(json);
  const bytes = new Uint8Array(deflated.length + 4);
  bytes.set(deflated);
  let h = 0x811c9dc5;
  for (const b of body) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  new DataView(bytes.buffer).setUint32(deflated.length, h);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  const payload = btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `e1.${payload.length.toString(36)}.${payload}`;
}
