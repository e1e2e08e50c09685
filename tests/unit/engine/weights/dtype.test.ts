import { describe, expect, it } from 'vitest';
import {
  decodeBF16,
  decodeF16,
  decodeF32,
  encodeF16,
  f16BitsToF32,
  roundToBfloat16,
} from '../../../../src/engine/weights/dtype';

/** Little-endian bytes of 16-bit patterns, placed at `offset` inside a larger buffer. */
function halves(patterns: number[], offset = 0): Uint8Array {
  const bytes = new Uint8Array(offset + 2 * patterns.length);
  patterns.forEach((p, i) => {
    bytes[offset + 2 * i] = p & 0xff;
    bytes[offset + 2 * i + 1] = p >> 8;
  });
  return bytes;
}

/** IEEE binary16 by the textbook formula: independent of the bit-twiddling under test. */
function halfByFormula(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const bitsOf = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

describe('F16 decoding', () => {
  it('decodes the edge values exactly', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0400, 6.103515625e-5], // smallest normal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0001, 2 ** -24], // smallest subnormal (5.96e-8)
      [0x8001, -(2 ** -24)],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
    ];
    const out = decodeF16(halves(cases.map((c) => c[0])), 0, cases.length);
    expect([...out]).toEqual(cases.map((c) => c[1]));
  });

  it('keeps the sign of negative zero and decodes NaN as NaN with its payload', () => {
    const out = decodeF16(halves([0x8000, 0x7e00, 0xfd01]), 0, 3);
    expect(Object.is(out[0], -0)).toBe(true);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(bitsOf(out).slice(1)).toEqual([0x7fc00000, 0xffa02000]);
  });

  it('agrees with the IEEE formula on all 65536 bit patterns', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const out = decodeF16(halves(all), 0, all.length);
    const wrong = all.filter((h) => !Object.is(out[h], halfByFormula(h)));
    expect(wrong).toEqual([]);
  });

  it('gives the same values from an odd (unaligned) byte offset', () => {
    const patterns = [0x3c00, 0x0001, 0xfc00, 0x1234, 0xabcd];
    const aligned = decodeF16(halves(patterns), 0, patterns.length);
    const unaligned = decodeF16(halves(patterns, 3), 3, patterns.length);
    expect(bitsOf(unaligned)).toEqual(bitsOf(aligned));
  });
});

describe('BF16 decoding', () => {
  it('is the top half of the float32 bits, for normals, subnormals, infinities and NaN', () => {
    const patterns = [0x3f80, 0xc000, 0x0001, 0x807f, 0x7f80, 0xff80, 0x7fc1, 0x8000, 0x7f7f];
    const out = decodeBF16(halves(patterns), 0, patterns.length);
    expect(bitsOf(out)).toEqual(patterns.map((p) => p * 65536));
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(-2);
    expect(out[2]).toBe(2 ** -133); // smallest bf16 subnormal
    expect(out[4]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(out[6])).toBe(true);
    expect(Object.is(out[7], -0)).toBe(true);
    expect(out[8]).toBe(3.3895313892515355e38); // largest finite bf16
  });

  it('gives the same values from an odd byte offset', () => {
    const patterns = [0x3f80, 0x0001, 0xff80, 0x4049];
    const a = decodeBF16(halves(patterns), 0, 4);
    const b = decodeBF16(halves(patterns, 1), 1, 4);
    expect(bitsOf(b)).toEqual(bitsOf(a));
  });
});

describe('BF16 rounding', () => {
  const fromBits = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);

  it('rounds to nearest with ties to even, carries into the exponent and overflows to infinity', () => {
    const cases: [number, number][] = [
      [0x3f808000, 0x3f800000], // 1 + 2^-8: a tie, to the even 1
      [0x3f818000, 0x3f820000], // 1 + 3·2^-8: a tie, to the even 1 + 2^-6
      [0x3f808001, 0x3f810000], // just past the tie: up
      [0x3f807fff, 0x3f800000], // just before it: down
      [0x3fffffff, 0x40000000], // the carry makes 2
      [0x7f7fffff, 0x7f800000], // the largest float32 is past bfloat16's largest: infinity
      [0xff7fffff, 0xff800000],
      [0x7f800000, 0x7f800000], // infinities stay
      [0x80000000, 0x80000000], // -0 stays
      [0x00008000, 0x00000000], // a subnormal tie, to even (zero)
      [0x00018000, 0x00020000],
      [0x3f800000, 0x3f800000], // already bfloat16: unchanged
    ];
    expect(bitsOf(roundToBfloat16(fromBits(cases.map((c) => c[0]))))).toEqual(cases.map((c) => c[1]));
  });

  it('keeps NaN a NaN, even one whose payload is only in the low bits', () => {
    const out = roundToBfloat16(fromBits([0x7f800001, 0xffc00000, 0x7fffffff]));
    expect([...out].every(Number.isNaN)).toBe(true);
  });

  it('picks the nearer bfloat16 neighbour of random values (exact in float64), leaving the input alone', () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    // Finite bit patterns across every exponent.
    const bits = Array.from({ length: 20000 }, () => next() & 0xff7fffff);
    const input = fromBits(bits);
    const out = roundToBfloat16(input);
    expect(bitsOf(input)).toEqual(bits.map((b) => b >>> 0));
    bits.forEach((b, i) => {
      const down = (b & 0xffff0000) >>> 0;
      const [lo, hi] = [fromBits([down])[0]!, fromBits([down + 0x10000])[0]!];
      const x = input[i]!;
      const [dLo, dHi] = [Math.abs(x - lo), Math.abs(x - hi)];
      const want = dLo < dHi || (dLo === dHi && ((down >>> 16) & 1) === 0) ? lo : hi;
      expect(out[i]).toBe(want);
    });
  });
});

describe('F32 decoding', () => {
  it('returns a view sharing memory when 4-byte aligned, and a copy otherwise', () => {
    const values = new Float32Array([1.5, -2.25, 3e-40]);
    const aligned = new Uint8Array(16);
    aligned.set(new Uint8Array(values.buffer), 4);
    const view = decodeF32(aligned, 4, 3);
    expect(view.buffer).toBe(aligned.buffer);
    expect([...view]).toEqual([...values]);

    const odd = new Uint8Array(16);
    odd.set(new Uint8Array(values.buffer), 1);
    const copy = decodeF32(odd, 1, 3);
    expect(copy.buffer).not.toBe(odd.buffer);
    expect([...copy]).toEqual([...values]);
  });
});

describe('F16 encoding', () => {
  it('round-trips every non-NaN half value exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    expect([...encodeF16(f16BitsToF32(finite))]).toEqual([...finite]);
  });

  it('rounds to nearest with ties to even, overflows to infinity and flushes tiny values to zero', () => {
    const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
    const out = encodeF16(
      new Float32Array([
        1 + ulp1 / 2, // tie: 1 is even
        1 + (3 * ulp1) / 2, // tie: rounds up to the even 1 + 2ulp
        1 + ulp1 / 2 + 2 ** -20, // just above the tie
        65520, // halfway between 65504 and 65536: to infinity
        65519,
        2 ** -25, // half of the smallest subnormal: tie to zero
        2 ** -25 + 2 ** -35,
        -1e-30,
        Number.NaN,
      ]),
    );
    expect([...out]).toEqual([0x3c00, 0x3c02, 0x3c01, 0x7c00, 0x7bff, 0x0000, 0x0001, 0x8000, 0x7e00]);
  });
});
