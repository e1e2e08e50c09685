import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../../../src/engine/errors';
import { DTYPE_BITS } from '../../../../src/engine/weights/dtype';
import { parseSafetensors } from '../../../../src/engine/weights/safetensors';
import { rawSafetensors, rng } from '../../../support/safetensors-bytes';

/**
 * Arbitrary input must end in a parsed file whose every tensor reads (or refuses to read with
 * WeightsFormatError), or in a WeightsFormatError: never another exception, never a hang.
 * Returns whether it parsed.
 */
function survives(bytes: Uint8Array): boolean {
  let f: ReturnType<typeof parseSafetensors>;
  try {
    f = parseSafetensors(bytes, 'fuzz.safetensors');
  } catch (e) {
    if (!(e instanceof WeightsFormatError)) throw new Error(`non-format error ${String(e)} on ${[...bytes]}`);
    expect(e.message.startsWith('fuzz.safetensors: ')).toBe(true);
    return false;
  }
  for (const name of f.names) {
    const { shape } = f.info(name);
    try {
      const t = f.read(name);
      expect(t.data.length).toBe(shape.reduce((a, b) => a * b, 1));
    } catch (e) {
      if (!(e instanceof WeightsFormatError)) throw e;
    }
  }
  return true;
}

const randomBytes = (r: () => number, n: number) =>
  Uint8Array.from({ length: n }, () => Math.floor(r() * 256));

const DTYPES = [...Object.keys(DTYPE_BITS), 'F12', '', 7];

/** A structurally plausible header: real dtypes, small shapes, offsets that are often right. */
function plausible(r: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const header: Record<string, unknown> = {};
  let pos = 0;
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const dtype = pick(DTYPES);
    const shape = Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * 4));
    const bits = typeof dtype === 'string' && dtype in DTYPE_BITS ? DTYPE_BITS[dtype as 'F32'] : 32;
    const size = Math.ceil((shape.reduce((a, b) => a * b, 1) * bits) / 8);
    const jitter = r() < 0.7 ? 0 : Math.floor(r() * 9) - 4;
    const begin = Math.max(0, pos + (r() < 0.8 ? 0 : jitter));
    header[`t${i}`] = {
      dtype,
      shape: r() < 0.95 ? shape : 'x',
      data_offsets: [begin, begin + size + jitter],
    };
    pos = begin + size;
  }
  if (r() < 0.3) header.__metadata__ = r() < 0.8 ? { a: 'b' } : { a: 1 };
  const dataLen = Math.max(0, pos + (r() < 0.8 ? 0 : Math.floor(r() * 9) - 4));
  return rawSafetensors(header, randomBytes(r, dataLen));
}

describe('parseSafetensors under fuzzing', () => {
  it('throws only WeightsFormatError on random bytes', () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) survives(randomBytes(r, Math.floor(r() * 300)));
  });

  it('throws only WeightsFormatError on random bytes behind a believable header length', () => {
    const r = rng(2);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(r, 8 + Math.floor(r() * 300));
      const len = Math.floor(r() * (bytes.length - 7));
      new DataView(bytes.buffer).setBigUint64(0, BigInt(len), true);
      if (r() < 0.5 && len > 0) bytes[8] = 0x7b; // '{', to get past the first check more often
      survives(bytes);
    }
  });

  it('reads or rejects plausible headers with off-by-a-few offsets, sizes and dtypes', () => {
    const r = rng(3);
    let parsed = 0;
    for (let i = 0; i < 5000; i++) if (survives(plausible(r))) parsed++;
    // The generator must exercise both outcomes, or the test proves nothing.
    expect(parsed).toBeGreaterThan(500);
    expect(parsed).toBeLessThan(4500);
  });

  it('rejects every truncation of a valid file and survives byte flips anywhere in it', () => {
    const header = {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] },
      b: { dtype: 'BF16', shape: [5], data_offsets: [24, 34] },
      c: { dtype: 'I64', shape: [1], data_offsets: [34, 42] },
      d: { dtype: 'F16', shape: [3], data_offsets: [42, 48] },
    };
    const r = rng(4);
    const whole = rawSafetensors(header, randomBytes(r, 48));
    expect(survives(whole)).toBe(true);
    for (let len = 0; len < whole.length; len++) expect(survives(whole.subarray(0, len))).toBe(false);
    for (let i = 0; i < 5000; i++) {
      const bytes = whole.slice();
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--)
        bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      survives(bytes);
    }
  });

  it('rejects a huge declared shape quickly without allocating it', () => {
    const header = { w: { dtype: 'F32', shape: [2 ** 26, 2 ** 26], data_offsets: [0, 4] } };
    const start = performance.now();
    expect(survives(rawSafetensors(header, 4))).toBe(false);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
