/**
 * 1,000 model.safetensors.index.json files mutated from a real sharded checkpoint's, read with
 * its shards as a dropped folder and converted for its config: each must give the model's
 * weights or a RudderError naming the index or a shard, within 2 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { specFromConfig, toCanonical } from '../../../../src/engine/families';
import { INDEX_FILE, readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { filesSource } from '../../../../src/engine/weights/source';
import { FuzzTally, int, jsonText, mutateJson, mutateText, rng } from '../../../support/fuzz';
import { REFERENCE_DIR } from '../../../support/golden';

const DIR = join(REFERENCE_DIR, 'llama-gqa-sharded');
const spec = specFromConfig(JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')));
const index = JSON.parse(readFileSync(join(DIR, INDEX_FILE), 'utf8'));
const shards = readdirSync(DIR)
  .filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f))
  .map((f) => new File([readFileSync(join(DIR, f))], `llama-gqa-sharded/${f}`));

describe('sharded index files under fuzzing', () => {
  it('reads or refuses 1,000 mutated index files with a message naming the file', async () => {
    const r = rng(17_004);
    const tally = new FuzzTally('model.safetensors.index.json', (e) =>
      /model\.safetensors\.index\.json|model-\d+-of-\d+|config\.json/.test(e.message),
    );
    for (let i = 0; i < 1000; i++) {
      let json: unknown = index;
      for (let k = 1 + int(r, 3); k > 0; k--) json = mutateJson(r, json);
      let text = jsonText(json);
      if (r() < 0.2) text = mutateText(r, text);
      const files = [new File([text], `llama-gqa-sharded/${INDEX_FILE}`), ...shards];
      await tally.run(
        () => text.slice(0, 400),
        async () => {
          const checkpoint = await readCheckpoint(filesSource(files), undefined, undefined, 2 ** 31);
          toCanonical(spec, checkpoint);
        },
      );
    }
    tally.report();
  });
});
