import { describe, expect, it } from 'vitest';
import { readParams } from '../../../src/app/params';

describe("the page's URL parameters", () => {
  it('reads ?threads=N from 1 to 8 as the WebAssembly thread count', () => {
    expect(readParams('?threads=1')).toEqual({ threads: 1, notes: [] });
    expect(readParams('?threads=8&backend=wasm')).toEqual({ backend: 'wasm', threads: 8, notes: [] });
    expect(readParams('').threads).toBeUndefined();
  });

  it('turns a thread count it cannot use into a note and keeps the default', () => {
    for (const bad of ['0', '9', 'two', '1.5', '']) {
      const p = readParams(`?threads=${bad}`);
      expect(p.threads).toBeUndefined();
      expect(p.notes).toEqual([`?threads=${bad} is not a thread count from 1 to 8; using the default.`]);
    }
  });
});
