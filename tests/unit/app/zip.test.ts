/**
 * The store-only zip writer, read back by independent readers: Python's zipfile (which checks
 * every CRC with testzip) and Info-ZIP's unzip -t.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, zipStore } from '../../../src/app/zip';

const PYTHON = '/usr/bin/python3';

function entries() {
  const weights = new Uint8Array(70_000);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 7919) % 251;
  return [
    { name: 'model.safetensors', data: weights },
    { name: 'config.json', data: new TextEncoder().encode('{"model_type": "llama"}\n') },
    { name: 'README.md', data: new TextEncoder().encode('# édité — 模型\n') },
    { name: 'empty.txt', data: new Uint8Array(0) },
    { name: 'sub/dir/file.bin', data: Uint8Array.from([0, 255, 1, 254]) },
  ];
}

function written(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rudder-zip-')), 'folder.zip');
  writeFileSync(file, zipStore(entries()));
  return file;
}

describe('zipStore', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("is read back byte for byte by Python's zipfile", () => {
    const file = written();
    const script = `
import sys, zipfile, json, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, i.compress_type, i.file_size, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))
`;
    const out = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }));
    expect(out).toEqual(
      entries().map((e) => [e.name, 0, e.data.length, createHash('sha256').update(e.data).digest('hex')]),
    );
  });

  it('passes unzip -t', () => {
    const out = execFileSync('/usr/bin/unzip', ['-t', written()], { encoding: 'utf8' });
    expect(out).toMatch(/No errors detected/);
  });

  it('refuses names that would leave the folder or repeat', () => {
    const data = new Uint8Array(1);
    expect(() => zipStore([{ name: '../x', data }])).toThrow(/relative/);
    expect(() => zipStore([{ name: '/x', data }])).toThrow(/relative/);
    expect(() =>
      zipStore([
        { name: 'a', data },
        { name: 'a', data },
      ]),
    ).toThrow(/twice/);
  });
});
