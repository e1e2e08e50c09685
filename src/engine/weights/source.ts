/**
 * Where a model's files come from: a base URL (the Hub, the app's own /models/), a dropped
 * folder of browser Files, or (in Node, see node-source.ts) a directory. Every source reads whole
 * files, reports progress per file, and can be cancelled.
 *
 * Browser-safe: nothing here imports node:*.
 */

import { formatBytes } from '../bytes';
import { CancelledError, SourceError, TooLargeError } from '../errors';

/** Bytes of one file read so far; `total` is undefined when the size is not known in advance. */
export interface Progress {
  readonly file: string;
  readonly loaded: number;
  readonly total: number | undefined;
}

export type OnProgress = (progress: Progress) => void;

export interface ModelSource {
  /** Stable, human-readable identity (a URL, `hub:owner/name@revision`, a path). */
  readonly id: string;
  /**
   * The whole file. Emits progress from 0 to the final byte count (monotonic; the last event's
   * `loaded` equals `total` when known). Throws SourceError, or CancelledError once `signal` aborts,
   * or TooLargeError as soon as the file is known to hold more than `maxBytes` (its announced size
   * is checked before any byte is held, a stream without one as it arrives).
   */
  readBytes(
    file: string,
    onProgress?: OnProgress,
    signal?: AbortSignal,
    maxBytes?: number,
  ): Promise<Uint8Array>;
  /** The file decoded as UTF-8 (with the same `maxBytes` check). */
  readText(file: string, signal?: AbortSignal, maxBytes?: number): Promise<string>;
  /** Whether the file exists. Throws SourceError when that cannot be known (network, access). */
  has(file: string, signal?: AbortSignal): Promise<boolean>;
}

/**
 * Refuses names that could leave the model folder (`..`, absolute paths, backslashes): an index
 * file from the internet names the shards, and a directory source must not read outside its root.
 */
export function checkFileName(file: string): void {
  const segments = file.split('/');
  if (
    file.length === 0 ||
    file.includes('\\') ||
    file.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new SourceError(
      file || '(empty name)',
      'is not a valid file name inside a model folder (use a relative path such as "model.safetensors", without ".." or a leading "/")',
    );
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A file larger than a read may take; `announced` when its size came before its bytes. */
export function fileTooLarge(
  file: string,
  bytes: number,
  maxBytes: number,
  announced: boolean,
): TooLargeError {
  const size = announced ? `is ${formatBytes(bytes)}` : `holds more than ${formatBytes(maxBytes)}`;
  return new TooLargeError(
    bytes,
    maxBytes,
    `${file} ${size}, more than the ${formatBytes(maxBytes)} that can be loaded here, so it was not read${announced ? '' : ' to the end'}; try a smaller model.`,
  );
}

/**
 * Reads a byte stream to the end with progress. When `total` is known the bytes land in one
 * preallocated buffer (no copy, no doubling) and a short stream is an error, never a result:
 * a truncated weights file must not be mistaken for a whole one.
 */
export async function readStream(
  stream: ReadableStream<Uint8Array>,
  file: string,
  total: number | undefined,
  onProgress: OnProgress | undefined,
  signal: AbortSignal | undefined,
  where: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  throwIfAborted(signal);
  if (total !== undefined && total > maxBytes) {
    await stream.cancel().catch(() => {});
    throw fileTooLarge(file, total, maxBytes, true);
  }
  const reader = stream.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  let buf = allocate(file, total ?? 1 << 16);
  let loaded = 0;
  onProgress?.({ file, loaded, total });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throwIfAborted(signal);
        const of = total === undefined ? '' : ` of ${total}`;
        throw new SourceError(
          file,
          `reading ${where} stopped after ${loaded}${of} bytes (${errorText(e)}); the connection may have dropped, try again`,
        );
      }
      throwIfAborted(signal);
      if (chunk.done) break;
      const bytes = chunk.value;
      if (loaded + bytes.length > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fileTooLarge(file, loaded + bytes.length, maxBytes, false);
      }
      if (loaded + bytes.length > buf.length) {
        // More than announced (or no announcement): grow. Only a compressed transfer whose
        // content-length counted the compressed bytes gets here with a known total.
        const grown = allocate(file, Math.max(buf.length * 2, loaded + bytes.length));
        grown.set(buf.subarray(0, loaded));
        buf = grown;
      }
      buf.set(bytes, loaded);
      loaded += bytes.length;
      onProgress?.({ file, loaded, total: total === undefined || loaded > total ? undefined : total });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
  if (total !== undefined && loaded < total) {
    throw new SourceError(
      file,
      `${where} was truncated: received ${loaded} of ${total} bytes (the connection may have dropped); try again`,
    );
  }
  return loaded === buf.length ? buf : buf.slice(0, loaded);
}

/** A buffer for a whole file; a size the JS engine cannot hold is the person's problem to know. */
export function allocate(file: string, bytes: number): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch {
    throw new SourceError(
      file,
      `is ${bytes} bytes, more than this JavaScript engine can hold in one buffer: use a smaller or sharded checkpoint`,
    );
  }
}

export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}

const decoder = new TextDecoder();

export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** A folder of Files (drag and drop, or an <input webkitdirectory>), matched by path or name. */
export function filesSource(files: readonly File[]): ModelSource {
  const pathOf = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const paths = files.map(pathOf);
  const root = paths[0]?.includes('/') ? paths[0].split('/')[0] : undefined;
  const id = `files:${root ?? (files.length === 1 ? paths[0] : `${files.length} files`)}`;

  // The shallowest match wins, so a dropped repo whose subfolders repeat a name still works.
  const find = (file: string): File | undefined => {
    checkFileName(file);
    const matches = files.filter((_, i) => paths[i] === file || paths[i]!.endsWith(`/${file}`));
    if (matches.length <= 1) return matches[0];
    const depth = (f: File) => pathOf(f).split('/').length;
    matches.sort((a, b) => depth(a) - depth(b));
    if (depth(matches[0]!) === depth(matches[1]!)) {
      throw new SourceError(
        file,
        `several dropped files match (${matches.map(pathOf).join(', ')}); drop only one model's folder`,
      );
    }
    return matches[0];
  };
  const get = (file: string): File => {
    const f = find(file);
    if (f) return f;
    const list =
      paths.length > 20 ? `${paths.slice(0, 20).join(', ')} and ${paths.length - 20} more` : paths.join(', ');
    throw new SourceError(
      file,
      `is not among the dropped files (${list || 'none'}). Drop the whole model folder: it needs config.json, the tokenizer files and the weights`,
    );
  };
  const readBytes = async (
    file: string,
    onProgress?: OnProgress,
    signal?: AbortSignal,
    maxBytes?: number,
  ) => {
    const f = get(file);
    if (maxBytes !== undefined && f.size > maxBytes) throw fileTooLarge(file, f.size, maxBytes, true);
    try {
      return await readStream(f.stream(), file, f.size, onProgress, signal, `the dropped file ${pathOf(f)}`);
    } catch (e) {
      if (e instanceof SourceError || e instanceof CancelledError) throw e;
      throw new SourceError(
        file,
        `could not read the dropped file (${errorText(e)}); it may have been moved or changed, drop the folder again`,
      );
    }
  };
  return {
    id,
    readBytes,
    readText: async (file, signal, maxBytes) =>
      decodeText(await readBytes(file, undefined, signal, maxBytes)),
    has: async (file) => find(file) !== undefined,
  };
}
