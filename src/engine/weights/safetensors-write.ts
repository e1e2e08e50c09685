import { WeightsFormatError } from '../errors';
import type { HostTensor } from '../spec';
import { LITTLE_ENDIAN } from './dtype';

/**
 * Serialises float32 tensors as a safetensors file (dtype F32), in the order given. Like the
 * reference writer, pads the header with spaces so that the data starts 8-byte aligned, which
 * lets readers view F32 data without copying.
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, HostTensor>>,
  metadata?: Readonly<Record<string, string>>,
  fileName = 'output.safetensors',
): Uint8Array {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata "${k}" must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === '__metadata__') fail('"__metadata__" is reserved and cannot name a tensor');
    const { shape, data } = tensors[name]!;
    const numel = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel !== data.length) {
      fail(`tensor "${name}" has shape [${shape}] but ${data.length} values`);
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name]!;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    else for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i]!, true);
    pos += data.byteLength;
  }
  return out;
}
