import { describe, expect, it } from 'vitest';
import { CancelledError, SourceError } from '../../../../src/engine/errors';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { filesSource, type Progress } from '../../../../src/engine/weights/source';
import { sharded, tensor } from '../../../support/model-folder';

/** A File as a browser gives it for a dropped folder: `webkitRelativePath` set by the browser. */
function dropped(path: string, content: Uint8Array | string): File {
  const f = new File([content as BlobPart], path.split('/').at(-1)!);
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
}

describe('filesSource', () => {
  it('finds files by their path inside the dropped folder and reads them with progress', async () => {
    const src = filesSource([
      dropped('gpt2-tiny/config.json', '{"a":1}'),
      dropped('gpt2-tiny/x/y.bin', 'abc'),
    ]);
    expect(src.id).toBe('files:gpt2-tiny');
    expect(await src.readText('config.json')).toBe('{"a":1}');
    const events: Progress[] = [];
    expect(await src.readBytes('x/y.bin', (p) => events.push(p))).toEqual(new TextEncoder().encode('abc'));
    expect(events.at(-1)).toEqual({ file: 'x/y.bin', loaded: 3, total: 3 });
    expect(await src.has('y.bin')).toBe(true);
    expect(await src.has('tokenizer.json')).toBe(false);
  });

  it('matches plain Files (no folder) by name', async () => {
    const src = filesSource([new File(['{}'], 'config.json')]);
    expect(src.id).toBe('files:config.json');
    expect(await src.readText('config.json')).toBe('{}');
  });

  it('lists what was dropped when a file is missing', async () => {
    const src = filesSource([dropped('m/config.json', '{}'), dropped('m/tokenizer.json', '{}')]);
    const read = src.readBytes('model.safetensors');
    await expect(read).rejects.toBeInstanceOf(SourceError);
    await expect(read).rejects.toThrow(
      'model.safetensors: is not among the dropped files (m/config.json, m/tokenizer.json). Drop the whole model folder',
    );
  });

  it('prefers the shallowest match and refuses an ambiguous one', async () => {
    const src = filesSource([dropped('m/original/config.json', 'deep'), dropped('m/config.json', 'top')]);
    expect(await src.readText('config.json')).toBe('top');
    const two = filesSource([dropped('all/a/config.json', '1'), dropped('all/b/config.json', '2')]);
    await expect(two.readText('config.json')).rejects.toThrow(
      'config.json: several dropped files match (all/a/config.json, all/b/config.json)',
    );
  });

  it('reads a sharded checkpoint from dropped files', async () => {
    const files = Object.entries(sharded([{ a: tensor([2]) }, { b: tensor([3], () => 2) }])).map(
      ([name, c]) => dropped(`model/${name}`, c),
    );
    const ckpt = await readCheckpoint(filesSource(files));
    expect(ckpt.names).toEqual(['a', 'b']);
    expect([...ckpt.read('b').data]).toEqual([2, 2, 2]);
  });

  it('throws CancelledError for an aborted read', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(
      filesSource([dropped('m/w.bin', 'x')]).readBytes('w.bin', undefined, ctrl.signal),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});
