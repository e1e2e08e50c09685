/**
 * A minimal GGUF reader and writer (ggml's file format, version 3; versions 2 and 3 are read):
 *
 *   magic "GGUF" · u32 version · u64 tensor count · u64 metadata count
 *   metadata: string key · u32 value type · value          (strings: u64 length + UTF-8 bytes)
 *   tensor infos: string name · u32 n_dims · u64 dims[n_dims] · u32 ggml type · u64 offset
 *   padding to `general.alignment` (default 32) · tensor data, each tensor aligned
 *
 * Enough for control vectors: every metadata type is read, tensors are F32 (written) or F32/F16
 * (read). All numbers are little-endian.
 */
import { WeightsFormatError } from '../../engine';

export type GgufScalarType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'bool'
  | 'string'
  | 'uint64'
  | 'int64'
  | 'float64';

export type GgufValue =
  | { readonly type: NumberType; readonly value: number }
  | { readonly type: 'uint64'; readonly value: bigint }
  | { readonly type: 'int64'; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly value: readonly GgufValue[] };

export interface GgufTensor {
  readonly name: string;
  /** ggml order: dims[0] is the fastest-varying (a 1-D vector is [n]). */
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface GgufFile {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensor[];
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
/** Index = the GGUF metadata type id. */
const TYPE_IDS: readonly (GgufScalarType | 'array')[] = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];
/** Metadata values a file may hold in all: a control vector has a handful (model files have 10^5). */
const MAX_VALUES = 1 << 20;
const GGML_F32 = 0;
const GGML_F16 = 1;
const DEFAULT_ALIGNMENT = 32;

export function writeGguf(
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly GgufTensor[],
): Uint8Array {
  const w = new Writer();
  w.u32(MAGIC);
  w.u32(3);
  w.u64(BigInt(tensors.length));
  w.u64(BigInt(metadata.size));
  for (const [key, value] of metadata) {
    w.string(key);
    w.u32(typeId(value.type));
    w.value(value);
  }
  const alignment = alignmentOf(metadata);
  let offset = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(BigInt(d));
    w.u32(GGML_F32);
    w.u64(BigInt(offset));
    offset = align(offset + t.data.length * 4, alignment);
  }
  w.pad(alignment);
  const dataStart = w.length;
  for (const t of tensors) {
    for (const x of t.data) w.f32(x);
    w.pad(alignment, dataStart);
  }
  return w.bytes();
}

export function readGguf(bytes: Uint8Array, fileName = 'vector.gguf'): GgufFile {
  const r = new Reader(bytes, fileName);
  if (bytes.length < 24 || r.u32() !== MAGIC) r.fail('is not a GGUF file (it does not start with "GGUF")');
  const version = r.u32();
  if (version !== 2 && version !== 3) r.fail(`is GGUF version ${version}; only versions 2 and 3 are read`);
  const nTensors = r.count();
  const nMeta = r.count();
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < nMeta; i++) {
    const key = r.string();
    metadata.set(key, r.value(r.u32()));
  }
  const infos: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.string();
    const nDims = r.u32();
    if (nDims > 4) r.fail(`tensor "${name}" has ${nDims} dimensions (ggml allows at most 4)`);
    const dims = Array.from({ length: nDims }, () => r.count());
    infos.push({ name, dims, type: r.u32(), offset: r.count() });
  }
  const alignment = alignmentOf(metadata);
  const dataStart = align(r.pos, alignment);
  const tensors = infos.map(({ name, dims, type, offset }) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const size =
      type === GGML_F32
        ? 4
        : type === GGML_F16
          ? 2
          : r.fail(`tensor "${name}" has ggml type ${type}; only F32 and F16 are read`);
    const start = dataStart + offset;
    if (start + n * size > bytes.length)
      r.fail(`tensor "${name}" runs past the end of the file (truncated?)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, n * size);
    const data = Float32Array.from({ length: n }, (_, i) =>
      size === 4 ? view.getFloat32(4 * i, true) : f16(view.getUint16(2 * i, true)),
    );
    return { name, dims, data };
  });
  return { version, metadata, tensors };
}

function typeId(type: GgufValue['type']): number {
  return TYPE_IDS.indexOf(type);
}

function alignmentOf(metadata: ReadonlyMap<string, GgufValue>): number {
  const a = metadata.get('general.alignment');
  return a && typeof a.value === 'number' && a.value > 0 ? a.value : DEFAULT_ALIGNMENT;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** IEEE half-precision bits → number (F16 control vectors exist in the wild). */
function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

type NumberType = Exclude<GgufScalarType, 'bool' | 'string' | 'uint64' | 'int64'>;
const NUMBER_SETTERS: Record<NumberType, [number, (d: DataView, at: number, x: number) => void]> = {
  uint8: [1, (d, at, x) => d.setUint8(at, x)],
  int8: [1, (d, at, x) => d.setInt8(at, x)],
  uint16: [2, (d, at, x) => d.setUint16(at, x, true)],
  int16: [2, (d, at, x) => d.setInt16(at, x, true)],
  uint32: [4, (d, at, x) => d.setUint32(at, x, true)],
  int32: [4, (d, at, x) => d.setInt32(at, x, true)],
  float32: [4, (d, at, x) => d.setFloat32(at, x, true)],
  float64: [8, (d, at, x) => d.setFloat64(at, x, true)],
};

const NUMBER_GETTERS: Record<NumberType, [number, (d: DataView, at: number) => number]> = {
  uint8: [1, (d, at) => d.getUint8(at)],
  int8: [1, (d, at) => d.getInt8(at)],
  uint16: [2, (d, at) => d.getUint16(at, true)],
  int16: [2, (d, at) => d.getInt16(at, true)],
  uint32: [4, (d, at) => d.getUint32(at, true)],
  int32: [4, (d, at) => d.getInt32(at, true)],
  float32: [4, (d, at) => d.getFloat32(at, true)],
  float64: [8, (d, at) => d.getFloat64(at, true)],
};

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(x: number) {
    const at = this.grow(1); // grow first: it may replace the view
    this.view.setUint8(at, x);
  }
  u32(x: number) {
    const at = this.grow(4);
    this.view.setUint32(at, x, true);
  }
  u64(x: bigint) {
    const at = this.grow(8);
    this.view.setBigUint64(at, x, true);
  }
  f32(x: number) {
    const at = this.grow(4);
    this.view.setFloat32(at, x, true);
  }
  string(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(BigInt(b.length));
    const at = this.grow(b.length);
    this.buf.set(b, at);
  }
  value(v: GgufValue): void {
    // Reserve the bytes before taking the view: growing replaces it.
    const at = (n: number): [DataView, number] => {
      const i = this.grow(n);
      return [this.view, i];
    };
    if (v.type === 'string') this.string(v.value);
    else if (v.type === 'bool') this.u8(v.value ? 1 : 0);
    else if (v.type === 'uint64') {
      const [d, i] = at(8);
      d.setBigUint64(i, v.value, true);
    } else if (v.type === 'int64') {
      const [d, i] = at(8);
      d.setBigInt64(i, v.value, true);
    } else if (v.type === 'array') {
      const item = v.value[0]?.type ?? 'uint8';
      if (item === 'array' || v.value.some((x) => x.type !== item))
        throw new RangeError('GGUF arrays hold values of one scalar type');
      this.u32(typeId(item));
      this.u64(BigInt(v.value.length));
      for (const x of v.value) this.value(x);
    } else {
      const [size, set] = NUMBER_SETTERS[v.type];
      set(...at(size), v.value);
    }
  }
  /** Zero bytes up to the next multiple of `a` (counted from `from`). */
  pad(a: number, from = 0) {
    this.grow(align(this.length - from, a) - (this.length - from));
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class Reader {
  private readonly view: DataView;
  private values = 0;
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(problem: string): never {
    throw new WeightsFormatError(this.fileName, problem);
  }
  private take(n: number): number {
    if (this.pos + n > this.bytes.length) this.fail('ends in the middle of its header (truncated?)');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  /** A u64 count or offset, as a safe integer. */
  count(): number {
    const n = this.view.getBigUint64(this.take(8), true);
    if (n > BigInt(this.bytes.length)) this.fail(`holds a count or offset of ${n}, larger than the file`);
    return Number(n);
  }
  string(): string {
    const n = this.count();
    return new TextDecoder().decode(this.bytes.subarray(this.take(n), this.pos));
  }
  value(typeId: number): GgufValue {
    const type = TYPE_IDS[typeId] ?? this.fail(`has a metadata value of unknown type ${typeId}`);
    // One-byte items would otherwise let a 16 MB file become 16 million objects.
    if (++this.values > MAX_VALUES) this.fail(`holds more than ${MAX_VALUES} metadata values`);
    const v = this.view;
    switch (type) {
      case 'uint8':
      case 'int8':
      case 'uint16':
      case 'int16':
      case 'uint32':
      case 'int32':
      case 'float32':
      case 'float64': {
        const [size, get] = NUMBER_GETTERS[type];
        return { type, value: get(v, this.take(size)) };
      }
      case 'uint64':
        return { type, value: v.getBigUint64(this.take(8), true) };
      case 'int64':
        return { type, value: v.getBigInt64(this.take(8), true) };
      case 'bool':
        return { type, value: v.getUint8(this.take(1)) !== 0 };
      case 'string':
        return { type, value: this.string() };
      case 'array': {
        const item = this.u32();
        const n = this.count();
        return { type, value: Array.from({ length: n }, () => this.value(item)) };
      }
    }
  }
}
