/** `rudder inspect`: config.json only, with the memory the model needs, in float32 or 16-bit weights. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rudder } from '../../support/cli';
import { REFERENCE_DIR } from '../../support/golden';

const MODEL = join(REFERENCE_DIR, 'gpt2-tiny');

describe('rudder inspect', () => {
  it('gives the memory of 16-bit weights with --precision bfloat16, and refuses another precision', async () => {
    const full = await rudder('inspect', '--model', MODEL, '--json');
    const half = await rudder('inspect', '--model', MODEL, '--precision', 'bfloat16', '--json');
    expect(full.code, full.stderr).toBe(0);
    expect(half.code, half.stderr).toBe(0);
    const [a, b] = [full, half].map((r) => JSON.parse(r.stdout).memory);
    expect(a.halfMatrices).toBe(false);
    expect(b.halfMatrices).toBe(true);
    expect(b.weightBytes).toBeLessThan(a.weightBytes);
    expect(b.kvCacheBytes).toBe(a.kvCacheBytes);

    const text = await rudder('inspect', '--model', MODEL, '--precision', 'bfloat16');
    expect(text.stdout).toMatch(/memory \(16-bit weights on WebAssembly, \d+-token context\)/);
    const bad = await rudder('inspect', '--model', MODEL, '--precision', 'fp16');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--precision fp16 is not known/);
  });
});
