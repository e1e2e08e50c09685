/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`),
 * then the tensor bytes; offsets count from the end of the header.
 *
 * Parsing checks everything the reference implementation checks (and says which tensor and
 * which bytes are wrong), so that a bad file fails here with its name rather than later as a
 * garbled model. Tensors are converted one at a time, when asked for.
 */
import { shownValue, WeightsFormatError } from '../errors';
import type { HostTensor } from '../spec';
import { DTYPE_BITS, type Dtype, decodeBF16, decodeF16, decodeF32, decodeF64, isDtype } from './dtype';

/** The reference implementation's cap: a bigger header is a corrupt length, not a real header. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

/** A set of named tensors read lazily: what checkpoints and single files both provide. */
export interface TensorReader {
  /** Tensor names, in data order for a file, shard by shard for a checkpoint. */
  readonly names: readonly string[];
  /** Dtype and shape; throws WeightsFormatError for an unknown name. */
  info(name: string): TensorInfo;
  /**
   * The tensor converted to float32. F32 data may be a zero-copy view of the file's bytes:
   * treat it as read-only, and it keeps the whole file in memory while referenced.
   */
  read(name: string): HostTensor;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface SafetensorsFile extends TensorReader {
  readonly fileName: string;
  readonly byteLength: number;
  /** Where the data section starts in the file (8 + header length). */
  readonly dataStart: number;
  /** Tensor byte ranges relative to the data section. */
  byteRange(name: string): readonly [number, number];
}

interface Entry extends TensorInfo {
  readonly name: string;
  readonly numel: number;
  readonly begin: number;
  readonly end: number;
}

/** Parses and validates a whole safetensors file. Throws WeightsFormatError naming `fileName`. */
export function parseSafetensors(bytes: Uint8Array, fileName: string): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  if (bytes.length < 8) {
    fail(
      `the file is ${bytes.length} bytes long, too short for the 8-byte header length (truncated or empty)`,
    );
  }
  const headerLen = readHeaderLength(bytes, fail);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const header = parseHeader(bytes.subarray(8, dataStart), fail);

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === '__metadata__') metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, dataLen, fail));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(entries, dataLen, fail);

  const byName = new Map(entries.map((e) => [e.name, e]));
  const entry = (name: string): Entry =>
    byName.get(name) ?? fail(`has no tensor named "${name}" (it holds ${describeNames([...byName.keys()])})`);
  return {
    fileName,
    byteLength: bytes.length,
    dataStart,
    names: entries.map((e) => e.name),
    metadata,
    info: (name) => {
      const e = entry(name);
      return { dtype: e.dtype, shape: e.shape };
    },
    byteRange: (name) => {
      const e = entry(name);
      return [e.begin, e.end];
    },
    read: (name) => {
      const e = entry(name);
      return { shape: e.shape, data: decode(bytes, dataStart + e.begin, e, fail) };
    },
  };
}

function readHeaderLength(bytes: Uint8Array, fail: (p: string) => never): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const high = view.getUint32(4, true);
  const len = high * 2 ** 32 + view.getUint32(0, true);
  if (high !== 0 || len > MAX_HEADER_BYTES) {
    const hint = recognise(bytes);
    fail(
      hint ??
        `the header length field says ${len} bytes, more than the ${MAX_HEADER_BYTES}-byte limit: this is not a safetensors file, or it is corrupt`,
    );
  }
  if (len > bytes.length - 8) {
    fail(
      recognise(bytes) ??
        `the header length field says ${len} bytes but only ${bytes.length - 8} bytes follow it (the file may be truncated, or is not a safetensors file)`,
    );
  }
  return len;
}

/** Names the kind of file when a common wrong one was given instead of safetensors. */
function recognise(bytes: Uint8Array): string | undefined {
  const head = String.fromCharCode(...bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('version https://git-lfs')) {
    return 'this is a Git LFS pointer, not the weights: fetch the real file (git lfs pull) or download it from the Hub';
  }
  if (/^<(!doctype|html)/i.test(head)) {
    return 'this is an HTML page, not a safetensors file (a wrong URL, or a login/error page)';
  }
  if (head.startsWith('PK')) {
    return 'this is a zip archive (a PyTorch .bin/.pt checkpoint?), not a safetensors file: convert it to safetensors';
  }
  if (head.startsWith('{')) return 'this is a JSON file, not a safetensors file';
  return undefined;
}

function parseHeader(raw: Uint8Array, fail: (p: string) => never): Record<string, unknown> {
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    fail(`the ${raw.length}-byte header is not valid UTF-8 (the file is corrupt or not safetensors)`);
  }
  if (!text.startsWith('{')) {
    fail(`the header does not start with "{" (starts with ${JSON.stringify(text.slice(0, 16))})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail('the header is not a JSON object');
  }
  return json as Record<string, unknown>;
}

function parseMetadata(value: unknown, fail: (p: string) => never): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail('"__metadata__" is not an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as object)) {
    if (typeof v !== 'string') fail(`"__metadata__" entry "${k}" is ${describe(v)}, not a string`);
    out[k] = v as string;
  }
  return out;
}

function parseEntry(name: string, value: unknown, dataLen: number, fail: (p: string) => never): Entry {
  const t = `tensor "${name}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${t} is ${describe(value)}, not an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDtype(dtype)) {
    fail(`${t} has unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_BITS).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${t} has shape ${describe(shape)}, not a list of non-negative integers`);
  }
  let numel = 1;
  for (const d of shape as number[]) {
    numel *= d;
    if (!Number.isSafeInteger(numel)) fail(`${t} has shape [${shape}], too many elements to address`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    fail(`${t} has data_offsets ${describe(offsets)}, not [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const bits = numel * DTYPE_BITS[dtype as Dtype];
  if (bits % 8 !== 0) fail(`${t} (${dtype}, shape [${shape}]) does not fill a whole number of bytes`);
  if (end - begin !== bits / 8) {
    fail(
      `${t} has shape [${shape}] and dtype ${dtype}, which take ${bits / 8} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  if (end > dataLen) {
    fail(`${t} ends at byte ${end} but the data section holds ${dataLen} bytes (the file may be truncated)`);
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], numel, begin, end };
}

/**
 * Tensors (sorted by offset) must tile the data section exactly: no overlap, no hole, nothing
 * left over, as the reference implementation requires.
 */
function checkLayout(sorted: readonly Entry[], dataLen: number, fail: (p: string) => never): void {
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (prev && e.begin < pos) {
      fail(
        `tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps tensor "${prev.name}" (bytes ${prev.begin}..${prev.end})`,
      );
    }
    if (e.begin > pos) {
      const after = prev ? `after tensor "${prev.name}"` : 'at the start of the data section';
      fail(`bytes ${pos}..${e.begin} of the data section belong to no tensor (a hole ${after})`);
    }
    pos = e.end;
    if (e.end > e.begin || !prev) prev = e;
  }
  if (pos !== dataLen) {
    fail(
      `the data section holds ${dataLen} bytes but the tensors cover only ${pos}: ${dataLen - pos} trailing bytes belong to no tensor`,
    );
  }
}

function decode(bytes: Uint8Array, offset: number, e: Entry, fail: (p: string) => never): Float32Array {
  switch (e.dtype) {
    case 'F32':
      return decodeF32(bytes, offset, e.numel);
    case 'F16':
      return decodeF16(bytes, offset, e.numel);
    case 'BF16':
      return decodeBF16(bytes, offset, e.numel);
    case 'F64':
      return decodeF64(bytes, offset, e.numel);
    default:
      return fail(
        `tensor "${e.name}" has dtype ${e.dtype}, which cannot be read as weights (only F32, F16, BF16 and F64 can)`,
      );
  }
}

function describe(v: unknown): string {
  return v === undefined ? 'missing' : shownValue(v);
}

export function describeNames(names: readonly string[], max = 8): string {
  if (names.length === 0) return 'no tensors';
  const shown = names.slice(0, max).map((n) => `"${n}"`);
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}
