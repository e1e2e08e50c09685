/** Temporary model folders on disk for source and checkpoint tests (removed by the caller). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostTensor } from '../../src/engine/spec';
import { writeSafetensors } from '../../src/engine/weights/safetensors-write';

export interface TempFolder {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Writes `files` (path → bytes or text) into a fresh temporary folder. */
export async function tempFolder(files: Readonly<Record<string, Uint8Array | string>>): Promise<TempFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'rudder-weights-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const tensor = (shape: number[], fill: (i: number) => number = (i) => i): HostTensor => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
});

/** Splits `tensors` into shards plus a model.safetensors.index.json, as transformers saves them. */
export function sharded(
  shards: readonly Readonly<Record<string, HostTensor>>[],
): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  const weightMap: Record<string, string> = {};
  shards.forEach((tensors, i) => {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    files[name] = writeSafetensors(tensors, { format: 'pt' });
    for (const t of Object.keys(tensors)) weightMap[t] = name;
  });
  files['model.safetensors.index.json'] = JSON.stringify({
    metadata: { total_size: 0 },
    weight_map: weightMap,
  });
  return files;
}
