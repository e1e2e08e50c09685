/**
 * A model folder on the local filesystem (Node only: the CLI, tests, the bench). Kept apart
 * from source.ts so that browser bundles never see node:* imports.
 */
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RudderError, SourceError } from '../errors';
import {
  allocate,
  checkFileName,
  decodeText,
  fileTooLarge,
  type ModelSource,
  type OnProgress,
  throwIfAborted,
} from './source';

/** Read in pieces this size so that progress and cancellation happen during a big file. */
const CHUNK = 8 << 20;

export function dirSource(dir: string): ModelSource {
  const root = resolve(dir);
  const pathOf = (file: string) => {
    checkFileName(file);
    return resolve(root, file);
  };

  const readBytes = async (
    file: string,
    onProgress?: OnProgress,
    signal?: AbortSignal,
    maxBytes?: number,
  ) => {
    throwIfAborted(signal);
    const path = pathOf(file);
    const handle = await open(path, 'r').catch((e: unknown) => {
      throw fsError(file, root, e);
    });
    try {
      const total = (await handle.stat()).size;
      if (maxBytes !== undefined && total > maxBytes) throw fileTooLarge(file, total, maxBytes, true);
      const buf = allocate(file, total);
      let loaded = 0;
      onProgress?.({ file, loaded, total });
      while (loaded < total) {
        throwIfAborted(signal);
        const { bytesRead } = await handle.read(buf, loaded, Math.min(CHUNK, total - loaded), loaded);
        if (bytesRead === 0) {
          throw new SourceError(
            file,
            `${path} shrank while being read (${loaded} of ${total} bytes); try again`,
          );
        }
        loaded += bytesRead;
        onProgress?.({ file, loaded, total });
      }
      return buf;
    } catch (e) {
      if (!(e instanceof RudderError)) throw fsError(file, root, e);
      throw e;
    } finally {
      await handle.close();
    }
  };

  return {
    id: root,
    readBytes,
    readText: async (file, signal, maxBytes) =>
      decodeText(await readBytes(file, undefined, signal, maxBytes)),
    has: async (file) => {
      const s = await stat(pathOf(file)).catch(() => undefined);
      return s?.isFile() ?? false;
    },
  };
}

function fsError(file: string, root: string, e: unknown): SourceError {
  const code = (e as { code?: string }).code;
  const why =
    code === 'ENOENT'
      ? `there is no such file in ${root}`
      : code === 'EISDIR'
        ? `${root}/${file} is a directory, not a file`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission to read it in ${root} was denied`
          : `it could not be read from ${root} (${(e as Error).message})`;
  return new SourceError(file, why);
}
