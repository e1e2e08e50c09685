import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from '../../../../src/engine';
import { type GgufValue, readGguf, writeGguf } from '../../../../src/interp/formats/gguf';

const dir = 'tests/fixtures/vectors';
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as {
  width: number;
  directions: Record<string, number[]>;
};

describe('GGUF', () => {
  it('reads a file written independently by the spec (metadata, F32 and F16 tensors)', () => {
    const f = readGguf(new Uint8Array(readFileSync(`${dir}/repeng-style.gguf`)));
    expect(f.version).toBe(3);
    expect(f.metadata.get('general.architecture')).toEqual({ type: 'string', value: 'controlvector' });
    expect(f.metadata.get('controlvector.layer_count')).toEqual({ type: 'uint32', value: 4 });
    expect(f.tensors.map((t) => t.name)).toEqual([
      'direction.1',
      'direction.2',
      'direction.5',
      'direction.6',
    ]);
    for (const t of f.tensors) {
      expect(t.dims).toEqual([expected.width]);
      expect(Array.from(t.data)).toEqual(expected.directions[t.name.split('.')[1]!]!.map(Math.fround));
    }
  });

  it('writes byte for byte what the independent writer wrote', () => {
    const fixture = new Uint8Array(readFileSync(`${dir}/llamacpp-style.gguf`));
    const meta = new Map<string, GgufValue>([
      ['general.architecture', { type: 'string', value: 'controlvector' }],
      ['controlvector.model_hint', { type: 'string', value: 'llama' }],
      ['controlvector.layer_count', { type: 'int32', value: 3 }],
    ]);
    const tensors = ['1', '2', '5'].map((l) => ({
      name: `direction.${l}`,
      dims: [expected.width],
      data: Float32Array.from(expected.directions[l]!),
    }));
    expect(Buffer.from(writeGguf(meta, tensors)).equals(Buffer.from(fixture))).toBe(true);
  });

  it('round-trips every metadata type', () => {
    const meta = new Map<string, GgufValue>([
      ['a', { type: 'uint8', value: 200 }],
      ['b', { type: 'int16', value: -3 }],
      ['c', { type: 'float64', value: 0.1 }],
      ['d', { type: 'uint64', value: 2n ** 40n }],
      ['e', { type: 'int64', value: -5n }],
      ['f', { type: 'bool', value: true }],
      [
        'g',
        {
          type: 'array',
          value: [
            { type: 'string', value: 'x' },
            { type: 'string', value: 'yz' },
          ],
        },
      ],
      ['general.alignment', { type: 'uint32', value: 64 }],
    ]);
    const data = Float32Array.of(1.5, -2, 3);
    const back = readGguf(
      writeGguf(meta, [
        { name: 't', dims: [3], data },
        { name: 'u', dims: [1], data: Float32Array.of(7) },
      ]),
    );
    expect(back.metadata).toEqual(meta);
    expect(Array.from(back.tensors[1]!.data)).toEqual([7]);
  });

  it('round-trips files larger than its first buffer (a GPT-2-small-wide vector)', () => {
    const meta = new Map<string, GgufValue>([['k', { type: 'string', value: 'x'.repeat(3000) }]]);
    const tensors = [1, 2, 3].map((l) => ({
      name: `direction.${l}`,
      dims: [768],
      data: Float32Array.from({ length: 768 }, (_, i) => l * i),
    }));
    const back = readGguf(writeGguf(meta, tensors));
    expect(back.metadata).toEqual(meta);
    expect(back.tensors).toEqual(tensors);
  });

  it('names the file when it is not GGUF or is cut short', () => {
    expect(() => readGguf(new TextEncoder().encode('{"not": "gguf", "padding": 1234567}'), 'x.gguf')).toThrow(
      /x\.gguf: is not a GGUF file/,
    );
    const bytes = new Uint8Array(readFileSync(`${dir}/repeng-style.gguf`));
    expect(() => readGguf(bytes.subarray(0, 100), 'cut.gguf')).toThrow(WeightsFormatError);
    expect(() => readGguf(bytes.subarray(0, bytes.length - 40), 'cut.gguf')).toThrow(/runs past the end/);
  });
});
