import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../../../src/engine/errors';
import { parseSafetensors } from '../../../../src/engine/weights/safetensors';
import { writeSafetensors } from '../../../../src/engine/weights/safetensors-write';
import { rawSafetensors } from '../../../support/safetensors-bytes';

const F = 'model.safetensors';

function problem(bytes: Uint8Array): string {
  try {
    parseSafetensors(bytes, F);
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    expect((e as WeightsFormatError).file).toBe(F);
    return (e as Error).message;
  }
  throw new Error('parsed a malformed file without complaint');
}

const t = (dtype: string, shape: number[], begin: number, end: number) => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

describe('parseSafetensors on well-formed files', () => {
  it('round-trips tensors, shapes and metadata through writeSafetensors', () => {
    const a = { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -6.5]) };
    const b = { shape: [], data: new Float32Array([Math.PI]) };
    const empty = { shape: [0, 4], data: new Float32Array(0) };
    const bytes = writeSafetensors({ a, b, empty }, { format: 'pt', note: 'x' });
    const f = parseSafetensors(bytes, F);
    expect(f.names).toEqual(['a', 'b', 'empty']);
    expect(f.metadata).toEqual({ format: 'pt', note: 'x' });
    expect(f.info('a')).toEqual({ dtype: 'F32', shape: [2, 3] });
    expect([...f.read('a').data]).toEqual([...a.data]);
    expect(f.read('b')).toEqual({ shape: [], data: new Float32Array([Math.fround(Math.PI)]) });
    expect(f.read('empty').data.length).toBe(0);
    expect(f.dataStart % 8).toBe(0);
  });

  it('reads F32 as a zero-copy view when aligned and as a copy when the file sits at an odd offset', () => {
    const bytes = writeSafetensors({ w: { shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
    expect(parseSafetensors(bytes, F).read('w').data.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const w = parseSafetensors(shifted.subarray(1), F).read('w').data;
    expect(w.buffer).not.toBe(shifted.buffer);
    expect([...w]).toEqual([1, 2, 3, 4]);
  });

  it('decodes F16, BF16 and F64 tensors to float32', () => {
    const data = new Uint8Array([
      0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x49, 0x40, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
    ]);
    const header = { h: t('F16', [2], 0, 4), b: t('BF16', [2], 4, 8), d: t('F64', [1], 8, 16) };
    const f = parseSafetensors(rawSafetensors(header, data), F);
    expect([...f.read('h').data]).toEqual([1, -2]);
    expect([...f.read('b').data]).toEqual([1, 3.140625]);
    expect([...f.read('d').data]).toEqual([1.5]);
  });

  it('parses integer and boolean buffers but refuses to read them as weights, naming tensor and dtype', () => {
    const header = { 'h.0.attn.bias': t('U8', [1, 1, 2, 2], 0, 4), w: t('F32', [1], 4, 8) };
    const f = parseSafetensors(rawSafetensors(header, 8), F);
    expect(f.info('h.0.attn.bias')).toEqual({ dtype: 'U8', shape: [1, 1, 2, 2] });
    expect(() => f.read('h.0.attn.bias')).toThrow(
      'model.safetensors: tensor "h.0.attn.bias" has dtype U8, which cannot be read as weights (only F32, F16, BF16 and F64 can)',
    );
    expect(f.read('w').data.length).toBe(1);
  });

  it('accepts space padding after the header JSON and a null __metadata__', () => {
    const header = `${JSON.stringify({ __metadata__: null, w: t('F32', [1], 0, 4) })}      `;
    const f = parseSafetensors(rawSafetensors(header, 4), F);
    expect(f.metadata).toEqual({});
    expect(f.names).toEqual(['w']);
  });

  it('names the tensors it has when asked for one it does not', () => {
    const f = parseSafetensors(writeSafetensors({ wte: { shape: [1], data: new Float32Array(1) } }), F);
    expect(() => f.read('wpe')).toThrow('model.safetensors: has no tensor named "wpe" (it holds "wte")');
  });
});

describe('parseSafetensors on malformed files', () => {
  it('rejects a file shorter than the length prefix', () => {
    expect(problem(new Uint8Array(5))).toBe(
      'model.safetensors: the file is 5 bytes long, too short for the 8-byte header length (truncated or empty)',
    );
  });

  it('rejects a header length beyond the end of the file', () => {
    expect(problem(rawSafetensors('{}', 0, 5000n))).toBe(
      'model.safetensors: the header length field says 5000 bytes but only 2 bytes follow it (the file may be truncated, or is not a safetensors file)',
    );
  });

  it('rejects a header length above the 100 MB cap, and a 64-bit one', () => {
    expect(problem(rawSafetensors('{}', 0, 200_000_000n))).toContain('more than the 100000000-byte limit');
    expect(problem(rawSafetensors('{}', 0, 1n << 40n))).toContain('more than the 100000000-byte limit');
  });

  it('recognises a Git LFS pointer, an HTML page and a zip archive', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(problem(text('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n'))).toContain(
      'this is a Git LFS pointer, not the weights',
    );
    expect(problem(text('<!DOCTYPE html><html><body>Sign in</body></html>'))).toContain(
      'this is an HTML page',
    );
    expect(problem(text('PK\u0003\u0004archive/data.pkl...'))).toContain('this is a zip archive');
  });

  it('rejects a header that is not UTF-8, not JSON, or not an object', () => {
    const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const raw = new Uint8Array(8 + bad.length);
    raw[0] = bad.length;
    raw.set(bad, 8);
    expect(problem(raw)).toBe(
      'model.safetensors: the 4-byte header is not valid UTF-8 (the file is corrupt or not safetensors)',
    );
    expect(problem(rawSafetensors('{"w": {"dtype": "F32",'))).toMatch(
      /^model\.safetensors: the header is not valid JSON \(/,
    );
    expect(problem(rawSafetensors('[1, 2]'))).toBe(
      'model.safetensors: the header does not start with "{" (starts with "[1, 2]")',
    );
  });

  it('rejects an unknown dtype, naming it and the known ones', () => {
    expect(problem(rawSafetensors({ w: t('F12', [1], 0, 2) }, 2))).toMatch(
      /^model\.safetensors: tensor "w" has unknown dtype "F12" \(known: BOOL, U8, .*F32.*\)$/,
    );
  });

  it('rejects shapes that are not lists of non-negative integers', () => {
    for (const shape of [[-1], [1.5], '3', null, [2 ** 60]]) {
      const msg = problem(rawSafetensors({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, 4));
      expect(msg).toContain('tensor "w" has shape');
    }
    expect(problem(rawSafetensors({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4))).toBe(
      'model.safetensors: tensor "w" has shape missing, not a list of non-negative integers',
    );
  });

  it('rejects malformed data_offsets', () => {
    for (const offsets of [[4, 0], [0], [0, -4], [0, '4'], 'x']) {
      const msg = problem(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, 4));
      expect(msg).toContain('not [begin, end] with 0 <= begin <= end');
    }
  });

  it('rejects a byte span that does not match shape times element size', () => {
    expect(problem(rawSafetensors({ w: t('F16', [3, 2], 0, 24) }, 24))).toBe(
      'model.safetensors: tensor "w" has shape [3,2] and dtype F16, which take 12 bytes, but its data_offsets [0, 24] span 24 bytes',
    );
  });

  it('reports a tensor running past the data section as a likely truncation', () => {
    const header = { 'h.0.attn.c_attn.weight': t('F32', [300], 0, 1200) };
    expect(problem(rawSafetensors(header, 1000))).toBe(
      'model.safetensors: tensor "h.0.attn.c_attn.weight" ends at byte 1200 but the data section holds 1000 bytes (the file may be truncated)',
    );
  });

  it('rejects overlapping tensors, naming both', () => {
    const header = { a: t('F32', [100], 0, 400), b: t('F32', [100], 300, 700) };
    expect(problem(rawSafetensors(header, 700))).toBe(
      'model.safetensors: tensor "b" (bytes 300..700) overlaps tensor "a" (bytes 0..400)',
    );
  });

  it('rejects a hole between tensors and bytes before the first one', () => {
    const gap = { a: t('F32', [1], 0, 4), b: t('F32', [1], 8, 12) };
    expect(problem(rawSafetensors(gap, 12))).toBe(
      'model.safetensors: bytes 4..8 of the data section belong to no tensor (a hole after tensor "a")',
    );
    expect(problem(rawSafetensors({ a: t('F32', [1], 4, 8) }, 8))).toContain(
      'bytes 0..4 of the data section belong to no tensor (a hole at the start of the data section)',
    );
  });

  it('rejects trailing bytes that no tensor covers', () => {
    expect(problem(rawSafetensors({ a: t('F32', [1], 0, 4) }, 10))).toBe(
      'model.safetensors: the data section holds 10 bytes but the tensors cover only 4: 6 trailing bytes belong to no tensor',
    );
  });

  it('rejects sub-byte dtypes that do not fill whole bytes', () => {
    expect(problem(rawSafetensors({ a: t('F4', [3], 0, 2) }, 2))).toContain(
      'does not fill a whole number of bytes',
    );
  });

  it('rejects metadata that is not a map of strings', () => {
    expect(problem(rawSafetensors({ __metadata__: { step: 3 } }))).toBe(
      'model.safetensors: "__metadata__" entry "step" is 3, not a string',
    );
    expect(problem(rawSafetensors({ __metadata__: ['x'] }))).toContain(
      '"__metadata__" is not an object of strings',
    );
  });

  it('rejects an entry that is not an object', () => {
    expect(problem(rawSafetensors({ w: [0, 4] }, 4))).toContain('tensor "w" is [0,4], not an object');
  });
});

describe('writeSafetensors', () => {
  it('refuses a tensor whose data does not match its shape, and the reserved name', () => {
    expect(() => writeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      'output.safetensors: tensor "x" has shape [2,2] but 3 values',
    );
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(
      WeightsFormatError,
    );
  });
});
