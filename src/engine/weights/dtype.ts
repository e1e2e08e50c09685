/**
 * Safetensors element types, and the conversions of the floating ones to float32.
 *
 * Conversions write float32 *bits* through a Uint32Array view rather than float values, so that
 * NaN payloads and signed zeros survive exactly (storing a NaN through a Float32Array may
 * canonicalise it).
 */

/** Bits per element of every dtype the safetensors format defines (sub-byte ones included). */
export const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
} as const;

export type Dtype = keyof typeof DTYPE_BITS;

/** The dtypes `read` converts to float32; other dtypes parse fine but cannot be read as weights. */
export const READABLE_DTYPES: readonly Dtype[] = ['F32', 'F16', 'BF16', 'F64'];

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BITS, s);
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let f16Table: Uint32Array | undefined;

/** float32 bits of each of the 65536 half-precision values (256 KiB, built on first use). */
function halfTable(): Uint32Array {
  if (f16Table) return f16Table;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      t[h] = sign | 0x7f800000 | (mant << 13); // inf, or NaN keeping its payload
    } else if (exp !== 0) {
      t[h] = sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 -> 127
    } else if (mant === 0) {
      t[h] = sign;
    } else {
      // Subnormal half (mant * 2^-24) is a normal float32: shift until the implicit bit shows.
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      t[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  }
  f16Table = t;
  return t;
}

/** Reads `n` little-endian uint16 from `bytes` at `offset`, without an alignment requirement. */
function u16At(bytes: Uint8Array, offset: number, n: number): Uint16Array | ((i: number) => number) {
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && abs % 2 === 0) return new Uint16Array(bytes.buffer, abs, n);
  return (i: number) => bytes[offset + 2 * i]! | (bytes[offset + 2 * i + 1]! << 8);
}

/** Decodes `n` IEEE half-precision values stored little-endian at `bytes[offset..]`. */
export function decodeF16(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const table = halfTable();
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  const src = u16At(bytes, offset, n);
  if (typeof src === 'function') for (let i = 0; i < n; i++) bits[i] = table[src(i)]!;
  else for (let i = 0; i < n; i++) bits[i] = table[src[i]!]!;
  return out;
}

/** Decodes `n` bfloat16 values (the top half of a float32) stored little-endian at `bytes[offset..]`. */
export function decodeBF16(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  const src = u16At(bytes, offset, n);
  if (typeof src === 'function') for (let i = 0; i < n; i++) bits[i] = src(i) << 16;
  else for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
  return out;
}

/**
 * Float32 values stored little-endian at `bytes[offset..]`. A zero-copy view when the platform
 * is little-endian and the data is 4-byte aligned (it shares memory with `bytes`); a copy otherwise.
 */
export function decodeF32(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && abs % 4 === 0) return new Float32Array(bytes.buffer, abs, n);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, abs, n * 4);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Float64 values stored little-endian at `bytes[offset..]`, rounded to float32. */
export function decodeF64(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 8);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/**
 * Rounds float32 values to IEEE half precision (round to nearest, ties to even; overflow to
 * infinity; NaN stays NaN). Returns the raw 16-bit patterns, for compact storage of vectors.
 */
export function encodeF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32BitsToF16(bits[i]!);
  return out;
}

function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): shift the full significand right, rounding ties to even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r++;
  return sign | r;
}

/** Float32 values of raw half-precision bit patterns (the inverse of `encodeF16` where exact). */
export function f16BitsToF32(halves: Uint16Array): Float32Array {
  const bytes = new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
  return decodeF16(bytes, 0, halves.length);
}

/**
 * The float32 values rounded to bfloat16 (round to nearest, ties to even, as PyTorch's
 * `.to(torch.bfloat16)`; overflow to infinity; NaN stays NaN), still as float32: each result's low
 * 16 bits are zero. A new array: `values` may be a view of a file's bytes that others read.
 */
export function roundToBfloat16(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  const from = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const to = new Uint32Array(out.buffer);
  for (let i = 0; i < from.length; i++) {
    const x = from[i]!;
    // NaN keeps a quiet NaN's top bits (the payload's low bits alone would round it to infinity).
    if ((x & 0x7fffffff) > 0x7f800000) to[i] = (x | 0x00400000) & 0xffff0000;
    // Adding just under half a bfloat16 step, plus the kept part's lowest bit, rounds ties to even;
    // a carry into the exponent is the correct next binade (or infinity).
    else to[i] = (x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000;
  }
  return out;
}
