/**
 * A store-only (uncompressed) zip archive, enough to hand a model folder over as one download:
 * local file headers, the central directory and its end record (PKWARE APPNOTE 4.3), CRC-32 per
 * file, UTF-8 names. Weights barely compress, so deflate would cost time for little; ZIP64 is
 * not written, so the archive and each file stay under 4 GiB (checked).
 */

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const LIMIT = 0xffffffff;
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The archive's bytes; names must be unique relative paths ('/' separated). */
export function zipStore(entries: readonly ZipEntry[]): Uint8Array {
  const utf8 = new TextEncoder();
  const names = entries.map((e) => utf8.encode(e.name));
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.name || e.name.startsWith('/') || e.name.split('/').includes('..'))
      throw new RangeError(`"${e.name}" is not a relative file name.`);
    if (seen.has(e.name)) throw new RangeError(`"${e.name}" is in the archive twice.`);
    seen.add(e.name);
  }
  const localSize = entries.reduce((n, e, i) => n + 30 + names[i]!.length + e.data.length, 0);
  const centralSize = names.reduce((n, name) => n + 46 + name.length, 0);
  const total = localSize + centralSize + 22;
  if (total > LIMIT || entries.length > 0xffff)
    throw new RangeError('The archive would need ZIP64 (over 4 GiB or 65,535 files).');
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (x: number) => {
    view.setUint16(at, x, true);
    at += 2;
  };
  const u32 = (x: number) => {
    view.setUint32(at, x, true);
    at += 4;
  };
  const bytes = (b: Uint8Array) => {
    out.set(b, at);
    at += b.length;
  };
  const UTF8_FLAG = 0x0800;
  const offsets: number[] = [];
  const crcs = entries.map((e) => crc32(e.data));
  entries.forEach((e, i) => {
    offsets.push(at);
    u32(0x04034b50);
    u16(20); // version needed: 2.0
    u16(UTF8_FLAG);
    u16(0); // stored
    u16(0); // time
    u16(0x21); // date: 1980-01-01
    u32(crcs[i]!);
    u32(e.data.length);
    u32(e.data.length);
    u16(names[i]!.length);
    u16(0);
    bytes(names[i]!);
    bytes(e.data);
  });
  const centralStart = at;
  entries.forEach((e, i) => {
    u32(0x02014b50);
    u16(20); // made by
    u16(20);
    u16(UTF8_FLAG);
    u16(0);
    u16(0);
    u16(0x21);
    u32(crcs[i]!);
    u32(e.data.length);
    u32(e.data.length);
    u16(names[i]!.length);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[i]!);
    bytes(names[i]!);
  });
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(centralSize);
  u32(centralStart);
  u16(0);
  return out;
}
