/**
 * The too-large check beyond config.json: the sharded index's total_size and each file's
 * announced size (a download's Content-Length, a dropped or local file's size) are held against
 * the limit before the bytes are read, and a stream that announces nothing is cut off at it.
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TooLargeError } from '../../../../src/engine/errors';
import { loadModel } from '../../../../src/engine/load';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { dirSource } from '../../../../src/engine/weights/node-source';
import { writeSafetensors } from '../../../../src/engine/weights/safetensors-write';
import { filesSource } from '../../../../src/engine/weights/source';
import { urlSource } from '../../../../src/engine/weights/url-source';
import { REFERENCE_DIR } from '../../../support/golden';
import { sharded, type TempFolder, tempFolder, tensor } from '../../../support/model-folder';

const MB = 1024 * 1024;
let folder: TempFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

/** A server whose model.safetensors announces 3 GB and sends a few bytes, and a chunked one. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/announced/')) {
      res.writeHead(200, { 'content-length': String(3 * 1024 * MB) });
      res.write(new Uint8Array(1024));
      return; // never ends: a reader that waited for the body would hang
    }
    // No content-length: 64 KB pieces until the client gives up.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const piece = new Uint8Array(64 * 1024);
    const timer = setInterval(() => res.write(piece), 1);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((ok) => server.close(() => ok()));
});

async function tooLarge(p: Promise<unknown>): Promise<TooLargeError> {
  const e = await p.then(
    () => new Error('read it'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TooLargeError);
  return e as TooLargeError;
}

describe('weight sizes held against the limit', () => {
  it("refuses a sharded checkpoint whose index's total_size is past the limit before reading a shard", async () => {
    const files = sharded([{ a: tensor([2, 2]) }, { b: tensor([5]) }]);
    const index = JSON.parse(files['model.safetensors.index.json'] as string);
    index.metadata.total_size = 5 * 1024 * MB;
    files['model.safetensors.index.json'] = JSON.stringify(index);
    folder = await tempFolder(files);
    const source = dirSource(folder.dir);
    const reads: string[] = [];
    const watched = {
      ...source,
      readBytes: (f: string, ...rest: []) => {
        reads.push(f);
        return source.readBytes(f, ...rest);
      },
    };
    const e = await tooLarge(readCheckpoint(watched, undefined, undefined, 2 * 1024 * MB));
    expect(e.message).toBe(
      'model.safetensors.index.json says the weights take 5.0 GB, more than the 2.0 GB that can be loaded here, so they were not downloaded; try a smaller model.',
    );
    expect(e).toMatchObject({ neededBytes: 5 * 1024 * MB, limitBytes: 2 * 1024 * MB });
    expect(reads.filter((f) => f.endsWith('.safetensors'))).toEqual([]);
  });

  it('counts the shards read so far against the limit', async () => {
    folder = await tempFolder(sharded([{ a: tensor([64, 64]) }, { b: tensor([64, 64]) }]));
    await expect(readCheckpoint(dirSource(folder.dir), undefined, undefined, 20_000)).rejects.toThrow(
      /^model-00002-of-00002\.safetensors is 16\.\d KB, more than the 3\.\d KB that can be loaded here/,
    );
    expect((await readCheckpoint(dirSource(folder.dir), undefined, undefined, 40_000)).files).toHaveLength(2);
  });

  it('refuses a download whose Content-Length is past the limit without reading its body', async () => {
    const start = performance.now();
    const e = await tooLarge(
      urlSource(`${base}/announced`, { cacheName: false }).readBytes(
        'model.safetensors',
        undefined,
        undefined,
        2 * 1024 * MB,
      ),
    );
    expect(e.message).toBe(
      'model.safetensors is 3.0 GB, more than the 2.0 GB that can be loaded here, so it was not read; try a smaller model.',
    );
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('cuts off a download that announces no size once it passes the limit', async () => {
    const e = await tooLarge(
      urlSource(`${base}/chunked`, { cacheName: false }).readBytes(
        'model.safetensors',
        undefined,
        undefined,
        MB,
      ),
    );
    expect(e.message).toMatch(
      /^model\.safetensors holds more than 1\.0 MB, .* so it was not read to the end;/,
    );
  });

  it('refuses a dropped or local file larger than the limit by its size', async () => {
    const bytes = writeSafetensors({ w: tensor([256, 256]) });
    const dropped = new File([bytes as Uint8Array<ArrayBuffer>], 'model.safetensors');
    await tooLarge(filesSource([dropped]).readBytes('model.safetensors', undefined, undefined, 1000));
    folder = await tempFolder({ 'model.safetensors': bytes });
    await tooLarge(readCheckpoint(dirSource(folder.dir), undefined, undefined, 1000));
  });

  it('makes loadModel refuse a model whose config fits but whose index says it does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rudder-limits-'));
    try {
      cpSync(join(REFERENCE_DIR, 'llama-gqa-sharded'), dir, { recursive: true });
      const indexFile = join(dir, 'model.safetensors.index.json');
      const index = JSON.parse(readFileSync(indexFile, 'utf8'));
      index.metadata.total_size = 4 * 1024 * MB;
      writeFileSync(indexFile, JSON.stringify(index));
      const limits = { backend: 'wasm', maxTotalBytes: 64 * MB, maxTensorBytes: 64 * MB };
      await expect(loadModel(dirSource(dir), { limits })).rejects.toThrow(
        'model.safetensors.index.json says the weights take 4.0 GB, more than the 64.0 MB',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
