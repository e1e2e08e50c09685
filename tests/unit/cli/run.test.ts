import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../../src/cli/run';
import { allHookNames, dirSource, parseSafetensors, readSpec } from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { hookShape } from '../../support/hook-shapes';
import { type TempFolder, tempFolder } from '../../support/model-folder';

const REF = 'tests/fixtures/reference';

describe('rudder run --cache', () => {
  let tmp: TempFolder;
  beforeAll(async () => {
    await useBackend('wasm');
    tmp = await tempFolder({});
  });
  afterAll(() => tmp.remove());

  // Gemma 2 has every point (post-norms, rotary, gated MLP); GPT-NeoX the parallel-residual set.
  it.each(['gemma2-tiny', 'pythia-tiny', 'gpt2-tiny'])(
    'writes every hook point of %s, each with the shape HOOK_DIMS names',
    async (name) => {
      const model = join(REF, name);
      const spec = await readSpec(dirSource(model));
      const names = allHookNames(spec);
      const out = join(tmp.dir, `${name}.safetensors`);
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const err = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        await runCommand([
          '--model',
          model,
          '--prompt',
          '3 1 4 1 5',
          ...names.flatMap((n) => ['--cache', n]),
          '--out',
          out,
        ]);
      } finally {
        log.mockRestore();
        err.mockRestore();
      }
      const file = parseSafetensors(new Uint8Array(await readFile(out)), out);
      expect([...file.names].sort()).toEqual([...names].sort());
      for (const n of names) expect(file.info(n).shape, n).toEqual(hookShape(spec, n, 1, 5).slice(1));
    },
    60_000,
  );
});
