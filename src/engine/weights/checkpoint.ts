/**
 * A Hugging Face checkpoint: `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`), read as one set of
 * tensors. Tensors are converted to float32 only when the family converter asks for them.
 */

import { formatBytes } from '../bytes';
import { SourceError, shownValue, TooLargeError, WeightsFormatError } from '../errors';
import type { HostTensor } from '../spec';
import { describeNames, parseSafetensors, type SafetensorsFile, type TensorReader } from './safetensors';
import { checkFileName, type ModelSource, type OnProgress, throwIfAborted } from './source';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** More shards than any released model has (Llama-3.1-405B: 191); each is one request. */
export const MAX_SHARDS = 1024;
/** An index is a few hundred KB; one of more than this is not an index. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

export interface Checkpoint extends TensorReader {
  /** The weight files read, in order (one, or the shards). */
  readonly files: readonly string[];
  /** Total bytes of the weight files. */
  readonly byteLength: number;
}

/**
 * Reads a checkpoint from `source`. Progress is reported per file; shards are read one after
 * another so that memory grows by one shard at a time. Throws SourceError when neither layout is
 * there, WeightsFormatError for a malformed file or index, CancelledError on abort, and
 * TooLargeError, before downloading, when the index's total_size or a file's announced size
 * would take the weights past `maxBytes`.
 */
export async function readCheckpoint(
  source: ModelSource,
  onProgress?: OnProgress,
  signal?: AbortSignal,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Checkpoint> {
  // Ask for both at once: one round trip, and an offline page whose cache holds only the index
  // (or only the single file) still finds it when the other probe fails on the network.
  const [single, index] = await Promise.allSettled([
    source.has(SINGLE_FILE, signal),
    source.has(INDEX_FILE, signal),
  ]);
  throwIfAborted(signal);
  if (single.status === 'fulfilled' && single.value) {
    const bytes = await source.readBytes(SINGLE_FILE, onProgress, signal, maxBytes);
    const file = parseSafetensors(bytes, SINGLE_FILE);
    return combine([file], new Map(), [SINGLE_FILE]);
  }
  if (index.status === 'fulfilled' && index.value) return readSharded(source, onProgress, signal, maxBytes);
  for (const r of [single, index]) if (r.status === 'rejected') throw r.reason;
  throw new SourceError(
    SINGLE_FILE,
    `${source.id} has neither ${SINGLE_FILE} nor ${INDEX_FILE}: Rudder reads safetensors weights only (convert .bin/.pt checkpoints first)`,
  );
}

async function readSharded(
  source: ModelSource,
  onProgress: OnProgress | undefined,
  signal: AbortSignal | undefined,
  maxBytes: number,
) {
  const { weightMap, totalSize } = parseIndex(await source.readText(INDEX_FILE, signal, MAX_INDEX_BYTES));
  if (totalSize !== undefined && totalSize > maxBytes) {
    throw new TooLargeError(
      totalSize,
      maxBytes,
      `${INDEX_FILE} says the weights take ${formatBytes(totalSize)}, more than the ${formatBytes(maxBytes)} that can be loaded here, so they were not downloaded; try a smaller model.`,
    );
  }
  const shards = [...new Set(weightMap.values())];
  if (shards.length > MAX_SHARDS) {
    throw new WeightsFormatError(
      INDEX_FILE,
      `lists ${shards.length} shard files; at most ${MAX_SHARDS} are read`,
    );
  }
  const present = await Promise.all(shards.map((s) => source.has(s, signal)));
  const missing = shards.filter((_, i) => !present[i]);
  if (missing.length > 0) {
    throw new SourceError(
      missing[0]!,
      `${INDEX_FILE} lists shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} but ${source.id} does not have ${missing.length > 1 ? 'them' : 'it'}: the download is incomplete or the index is stale`,
    );
  }
  const files: SafetensorsFile[] = [];
  let read = 0;
  for (const shard of shards) {
    const bytes = await source.readBytes(shard, onProgress, signal, maxBytes - read);
    read += bytes.length;
    files.push(parseSafetensors(bytes, shard));
  }
  return combine(files, weightMap, shards);
}

function parseIndex(text: string): { weightMap: Map<string, string>; totalSize?: number } {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(INDEX_FILE, problem);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`is not valid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  const meta = (json as { metadata?: unknown } | null)?.metadata;
  const total =
    typeof meta === 'object' && meta !== null ? (meta as { total_size?: unknown }).total_size : undefined;
  if (total !== undefined && !(typeof total === 'number' && Number.isSafeInteger(total) && total >= 0)) {
    fail(`has "metadata.total_size" ${shownValue(total)}, not a byte count`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    fail('has no "weight_map" object (expected {"weight_map": {"tensor name": "shard file"}})');
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map as object)) {
    if (typeof shard !== 'string') fail(`weight_map entry "${name}" is not a file name`);
    try {
      checkFileName(shard as string);
    } catch {
      fail(`weight_map entry "${name}" names "${shard}", which is not a file inside the model folder`);
    }
    out.set(name, shard as string);
  }
  if (out.size === 0) fail('has an empty "weight_map"');
  return { weightMap: out, ...(total === undefined ? {} : { totalSize: total as number }) };
}

/**
 * One reader over several files. The index decides where a tensor lives; a tensor the index
 * does not mention is used if exactly one shard holds it.
 */
function combine(files: SafetensorsFile[], weightMap: Map<string, string>, order: string[]): Checkpoint {
  const owner = new Map<string, SafetensorsFile>();
  const byName = new Map(files.map((f) => [f.fileName, f]));
  for (const [name, shard] of weightMap) {
    const f = byName.get(shard)!;
    if (!f.names.includes(name)) {
      throw new WeightsFormatError(
        INDEX_FILE,
        `says tensor "${name}" is in ${shard}, but ${shard} does not contain it (it holds ${describeNames(f.names)})`,
      );
    }
    owner.set(name, f);
  }
  for (const f of files) {
    for (const name of f.names) {
      const other = owner.get(name);
      if (other === undefined) owner.set(name, f);
      else if (other !== f && !weightMap.has(name)) {
        throw new WeightsFormatError(
          f.fileName,
          `tensor "${name}" is also in ${other.fileName} and ${INDEX_FILE} does not say which to use`,
        );
      }
    }
  }
  const get = (name: string): SafetensorsFile => {
    const f = owner.get(name);
    if (f) return f;
    throw new WeightsFormatError(
      order.length === 1 ? order[0]! : INDEX_FILE,
      `the checkpoint has no tensor named "${name}" (it holds ${describeNames([...owner.keys()])})`,
    );
  };
  const metadata: Record<string, string> = {};
  for (const f of files) Object.assign(metadata, f.metadata);
  return {
    files: order,
    byteLength: files.reduce((n, f) => n + f.byteLength, 0),
    names: files.flatMap((f) => f.names.filter((name) => owner.get(name) === f)),
    metadata,
    info: (name) => get(name).info(name),
    read: (name): HostTensor => get(name).read(name),
  };
}
