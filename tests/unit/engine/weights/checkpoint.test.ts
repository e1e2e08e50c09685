import { afterEach, describe, expect, it } from 'vitest';
import { SourceError, WeightsFormatError } from '../../../../src/engine/errors';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { dirSource } from '../../../../src/engine/weights/node-source';
import { writeSafetensors } from '../../../../src/engine/weights/safetensors-write';
import type { Progress } from '../../../../src/engine/weights/source';
import { sharded, type TempFolder, tempFolder, tensor } from '../../../support/model-folder';

let folder: TempFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

async function checkpointOf(files: Record<string, Uint8Array | string>) {
  folder = await tempFolder(files);
  return readCheckpoint(dirSource(folder.dir));
}

async function failureOf(files: Record<string, Uint8Array | string>): Promise<Error> {
  return checkpointOf(files).then(
    () => {
      throw new Error('read a broken checkpoint without complaint');
    },
    (e: Error) => e,
  );
}

const shardA = { 'wte.weight': tensor([4, 2]), 'h.0.ln_1.weight': tensor([2], () => 1) };
const shardB = { 'h.0.mlp.c_fc.weight': tensor([2, 8], (i) => -i), 'ln_f.bias': tensor([2], () => 0.5) };

describe('readCheckpoint', () => {
  it('reads a single model.safetensors with its metadata', async () => {
    const ckpt = await checkpointOf({ 'model.safetensors': writeSafetensors(shardA, { format: 'pt' }) });
    expect(ckpt.files).toEqual(['model.safetensors']);
    expect(ckpt.names).toEqual(['wte.weight', 'h.0.ln_1.weight']);
    expect(ckpt.metadata).toEqual({ format: 'pt' });
    expect(ckpt.info('wte.weight')).toEqual({ dtype: 'F32', shape: [4, 2] });
    expect([...ckpt.read('wte.weight').data]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('reads shards through model.safetensors.index.json as one set of tensors, with progress per shard', async () => {
    folder = await tempFolder(sharded([shardA, shardB]));
    const events: Progress[] = [];
    const ckpt = await readCheckpoint(dirSource(folder.dir), (p) => events.push(p));
    expect(ckpt.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(ckpt.names).toEqual(['wte.weight', 'h.0.ln_1.weight', 'h.0.mlp.c_fc.weight', 'ln_f.bias']);
    expect(ckpt.read('h.0.mlp.c_fc.weight').data[3]).toBe(-3);
    expect([...ckpt.read('ln_f.bias').data]).toEqual([0.5, 0.5]);
    expect(new Set(events.map((e) => e.file))).toEqual(new Set(ckpt.files));
    expect(ckpt.byteLength).toBe(
      events.filter((e) => e.loaded === e.total).reduce((n, e) => n + e.loaded, 0),
    );
  });

  it('prefers model.safetensors when both layouts are present', async () => {
    const ckpt = await checkpointOf({
      ...sharded([shardA, shardB]),
      'model.safetensors': writeSafetensors(shardB),
    });
    expect(ckpt.files).toEqual(['model.safetensors']);
  });

  it('says that neither weights file exists, and that only safetensors is read', async () => {
    const e = await failureOf({ 'config.json': '{}', 'pytorch_model.bin': 'x' });
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toMatch(/has neither model\.safetensors nor model\.safetensors\.index\.json/);
    expect(e.message).toContain('convert .bin/.pt checkpoints first');
  });

  it('names the missing shards listed by the index', async () => {
    const files = sharded([shardA, shardB]);
    delete files['model-00002-of-00002.safetensors'];
    const e = await failureOf(files);
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toBe(
      `model-00002-of-00002.safetensors: model.safetensors.index.json lists shard model-00002-of-00002.safetensors but ${folder!.dir} does not have it: the download is incomplete or the index is stale`,
    );
  });

  it('refuses an index that places a tensor in a shard that lacks it', async () => {
    const files = sharded([shardA, shardB]);
    const index = JSON.parse(files['model.safetensors.index.json'] as string);
    index.weight_map['ln_f.bias'] = 'model-00001-of-00002.safetensors';
    files['model.safetensors.index.json'] = JSON.stringify(index);
    const e = await failureOf(files);
    expect(e).toBeInstanceOf(WeightsFormatError);
    expect(e.message).toBe(
      'model.safetensors.index.json: says tensor "ln_f.bias" is in model-00001-of-00002.safetensors, but model-00001-of-00002.safetensors does not contain it (it holds "wte.weight", "h.0.ln_1.weight")',
    );
  });

  it('refuses an index without weight_map, with bad JSON, or naming a file outside the folder', async () => {
    const shard = writeSafetensors(shardA);
    const index = (text: string) => ({ 'model.safetensors.index.json': text, 'a.safetensors': shard });
    expect((await failureOf(index('{"metadata": {}}'))).message).toBe(
      'model.safetensors.index.json: has no "weight_map" object (expected {"weight_map": {"tensor name": "shard file"}})',
    );
    expect((await failureOf(index('{"weight_map": '))).message).toMatch(
      /^model\.safetensors\.index\.json: is not valid JSON/,
    );
    expect((await failureOf(index('{"weight_map": {"wte.weight": "../../etc/passwd"}}'))).message).toBe(
      'model.safetensors.index.json: weight_map entry "wte.weight" names "../../etc/passwd", which is not a file inside the model folder',
    );
    expect((await failureOf(index('{"weight_map": {}}'))).message).toContain('has an empty "weight_map"');
  });

  it('refuses a tensor found in two shards when the index does not say which one to use', async () => {
    const files = sharded([shardA, { ...shardB, extra: tensor([1]) }]);
    files['model-00001-of-00002.safetensors'] = writeSafetensors({ ...shardA, extra: tensor([1]) });
    const index = JSON.parse(files['model.safetensors.index.json'] as string);
    delete index.weight_map.extra;
    files['model.safetensors.index.json'] = JSON.stringify(index);
    const e = await failureOf(files);
    expect(e.message).toBe(
      'model-00002-of-00002.safetensors: tensor "extra" is also in model-00001-of-00002.safetensors and model.safetensors.index.json does not say which to use',
    );
  });

  it('uses a tensor the index does not mention when exactly one shard holds it', async () => {
    const files = sharded([shardA, shardB]);
    files['model-00002-of-00002.safetensors'] = writeSafetensors({ ...shardB, extra: tensor([1], () => 7) });
    const ckpt = await checkpointOf(files);
    expect(ckpt.names).toContain('extra');
    expect([...ckpt.read('extra').data]).toEqual([7]);
  });

  it('passes a malformed shard error through with the shard name', async () => {
    const files = sharded([shardA, shardB]);
    const shard = files['model-00002-of-00002.safetensors'] as Uint8Array;
    files['model-00002-of-00002.safetensors'] = shard.subarray(0, shard.length - 3);
    const e = await failureOf(files);
    expect(e).toBeInstanceOf(WeightsFormatError);
    expect(e.message).toMatch(/^model-00002-of-00002\.safetensors: tensor "ln_f\.bias" ends at byte 72 but/);
  });

  it('names the tensors it holds when asked for a missing one', async () => {
    const ckpt = await checkpointOf(sharded([shardA, shardB]));
    expect(() => ckpt.read('lm_head.weight')).toThrow(
      'model.safetensors.index.json: the checkpoint has no tensor named "lm_head.weight" (it holds "wte.weight", "h.0.ln_1.weight", "h.0.mlp.c_fc.weight", "ln_f.bias")',
    );
  });
});
