import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, SourceError } from '../../../../src/engine/errors';
import { dirSource } from '../../../../src/engine/weights/node-source';
import type { Progress } from '../../../../src/engine/weights/source';
import { type TempFolder, tempFolder } from '../../../support/model-folder';

let folder: TempFolder;
const big = Buffer.alloc(
  20 << 20,
  Uint8Array.from({ length: 251 }, (_, i) => i),
);

beforeAll(async () => {
  folder = await tempFolder({
    'config.json': '{"model_type": "gpt2"}',
    'big.bin': big,
    'sub/nested.txt': 'ok',
  });
});
afterAll(() => folder.remove());

describe('dirSource', () => {
  it('reads bytes and text of files in the folder and its subfolders', async () => {
    const src = dirSource(folder.dir);
    expect(src.id).toBe(folder.dir);
    expect(await src.readText('config.json')).toBe('{"model_type": "gpt2"}');
    expect(await src.readText('sub/nested.txt')).toBe('ok');
    expect(await src.has('config.json')).toBe(true);
    expect(await src.has('sub')).toBe(false);
    expect(await src.has('missing.json')).toBe(false);
  });

  it('reports monotonic progress in pieces, ending at the file size', async () => {
    const events: Progress[] = [];
    const bytes = await dirSource(folder.dir).readBytes('big.bin', (p) => events.push(p));
    // Compared as Buffers: a deep equality of 20 MB arrays would exhaust the test worker.
    expect(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(big)).toBe(true);
    expect(events.length).toBeGreaterThan(2);
    expect(events[0]).toEqual({ file: 'big.bin', loaded: 0, total: big.length });
    expect(events.at(-1)).toEqual({ file: 'big.bin', loaded: big.length, total: big.length });
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThan(events[i - 1]!.loaded);
  });

  it('stops with CancelledError when the signal aborts mid-file', async () => {
    const ctrl = new AbortController();
    const read = dirSource(folder.dir).readBytes('big.bin', (p) => p.loaded > 0 && ctrl.abort(), ctrl.signal);
    await expect(read).rejects.toBeInstanceOf(CancelledError);
  });

  it('says which file is missing and where it looked', async () => {
    const read = dirSource(folder.dir).readBytes('tokenizer.json');
    await expect(read).rejects.toBeInstanceOf(SourceError);
    await expect(read).rejects.toThrow(`tokenizer.json: there is no such file in ${folder.dir}`);
  });

  it('refuses names that would leave the folder', async () => {
    const src = dirSource(`${folder.dir}/sub`);
    await expect(src.readBytes('../config.json')).rejects.toThrow(
      '../config.json: is not a valid file name inside a model folder',
    );
    await expect(src.has('/etc/passwd')).rejects.toBeInstanceOf(SourceError);
  });
});
