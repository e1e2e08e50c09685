import { describe, expect, it } from 'vitest';
import { splitColumns, splitVector, transpose } from '../../../../src/engine/families/convert';
import { randomTensor } from './helpers';

function naiveTranspose(src: Float32Array, rows: number, cols: number): Float32Array {
  const dst = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j]!;
  return dst;
}

describe('transpose', () => {
  it('matches the definition on shapes that do not divide into tiles', () => {
    for (const [rows, cols] of [
      [1, 1],
      [1, 7],
      [7, 1],
      [63, 65],
      [130, 67],
      [64, 128],
    ] as const) {
      const src = randomTensor([rows, cols], rows * 1000 + cols).data;
      expect(transpose(src, rows, cols)).toEqual(naiveTranspose(src, rows, cols));
    }
  });

  it('round-trips a matrix and leaves the source untouched', () => {
    const src = randomTensor([100, 37], 3).data;
    const copy = src.slice();
    expect(transpose(transpose(src, 100, 37), 37, 100)).toEqual(copy);
    expect(src).toEqual(copy);
  });

  it('refuses a length that is not rows × cols', () => {
    expect(() => transpose(new Float32Array(10), 3, 3)).toThrow(/10 values cannot be a \[3, 3\] matrix/);
  });
});

describe('splitColumns and splitVector', () => {
  it('cuts consecutive column blocks and vector pieces of the given widths', () => {
    const t = { shape: [2, 5], data: Float32Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]) };
    const [a, b] = splitColumns(t, [2, 3]);
    expect(a).toEqual({ shape: [2, 2], data: Float32Array.from([0, 1, 10, 11]) });
    expect(b).toEqual({ shape: [2, 3], data: Float32Array.from([2, 3, 4, 12, 13, 14]) });
    const [x, y] = splitVector({ shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) }, [1, 4]);
    expect([...x!.data, ...y!.data]).toEqual([1, 2, 3, 4, 5]);
    const v = { shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) };
    expect(splitVector(v, [2, 3])[1]!.data.buffer).not.toBe(v.data.buffer);
  });
});
