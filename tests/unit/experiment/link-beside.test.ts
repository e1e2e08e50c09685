/**
 * A vector imported for a real model does not fit in a link (issue 17: 896×24 → 56 KB). The link
 * then leaves it out and says where it is (the exported file), instead of the hash going stale.
 */
import { describe, expect, it } from 'vitest';
import {
  decode,
  defaultExperiment,
  type Experiment,
  ExperimentError,
  encode,
  encodeLink,
  exportExperiment,
  float16ToBase64,
  importExperiment,
  MAX_LINK_CHARS,
} from '../../../src/experiment';

/** Seeded values in (-1, 1): float16 of them barely compresses, as a real vector's. */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Qwen2.5-0.5B's shape: 896 wide, read at 24 layers. */
function withQwenVector(): Experiment {
  const exp = defaultExperiment();
  const layers = Object.fromEntries(
    Array.from({ length: 24 }, (_, l) => [String(l), float16ToBase64(values(896, l + 1))]),
  );
  return {
    ...exp,
    steering: {
      ...exp.steering,
      pairs: [{ positive: 'I love it', negative: 'I hate it' }],
      coefficient: 4,
      vector: { from: 'inline', hook: 'resid_pre', width: 896, layers, name: 'qwen-honesty.safetensors' },
    },
  };
}

describe('encodeLink', () => {
  it('is encode itself when the experiment fits', async () => {
    const exp = defaultExperiment();
    expect(await encodeLink(exp, 'x.json')).toEqual({ hash: await encode(exp), beside: false });
  });

  it('leaves a vector too large for a link out, and the link says which file carries it', async () => {
    const exp = withQwenVector();
    const whole = await encode(exp).catch((e: unknown) => e);
    expect(whole).toBeInstanceOf(ExperimentError);
    expect((whole as ExperimentError).code).toBe('experiment-too-large');

    const { hash, beside } = await encodeLink(exp, 'rudder-experiment.json');
    expect(beside).toBe(true);
    expect(hash.length).toBeLessThanOrEqual(MAX_LINK_CHARS);
    const opened = await decode(hash);
    expect(opened?.steering.vector).toBeUndefined();
    expect(opened?.steering.vectorBeside).toEqual({
      file: 'rudder-experiment.json',
      name: 'qwen-honesty.safetensors',
    });
    // Everything else travels: the pairs and the strength.
    expect(opened?.steering.pairs).toEqual(exp.steering.pairs);
    expect(opened?.steering.coefficient).toBe(4);
    // The file beside it holds the vector whole.
    expect(importExperiment(exportExperiment(exp)).steering.vector).toEqual(exp.steering.vector);
  });

  it('still refuses an experiment too large without any vector', async () => {
    const exp = defaultExperiment();
    const long = 'x'.repeat(2000);
    const pairs = Array.from({ length: 200 }, (_, i) => ({
      positive: `${i} ${long} ${values(40, i).join(' ')}`.slice(0, 2000),
      negative: `${i} ${values(40, i + 999).join(' ')}`.slice(0, 2000),
    }));
    const big = { ...exp, steering: { ...exp.steering, pairs } };
    const e = await encodeLink(big, 'x.json').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ExperimentError);
    expect((e as ExperimentError).code).toBe('experiment-too-large');
  });
});
