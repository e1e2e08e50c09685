/**
 * A patched model as a Hugging Face model folder (METHODS.md §5 weight form, §8 Steer2Edit): the
 * edited canonical weights as model.safetensors under HF names, the original config.json with
 * what the edit changed (an orthogonalised tied model comes back untied), and the tokenizer and
 * generation files copied as they are. Rudder loads the folder like any other; the names, layouts
 * and dtype are those transformers' save_pretrained writes, which llama.cpp's converter reads.
 */
import {
  type HostTensor,
  hfConfig,
  type ModelSource,
  type ModelSpec,
  RudderError,
  toHfCheckpoint,
  writeSafetensors,
} from '../engine';

/** Files copied unchanged from the source folder when it has them. */
export const COPIED_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
  'vocab.json',
  'merges.txt',
] as const;

export interface ExportedModel {
  /** File name → content (bytes for the weights, text for the rest). */
  readonly files: Map<string, Uint8Array | string>;
}

/**
 * The folder of a model with `weights` (canonical, e.g. from orthogonalizeWeights or
 * applyWeightEdits) and `spec`, its config and tokenizer taken from `source` (the model's own
 * folder). `note` goes into the safetensors metadata (what edit made it).
 */
export async function exportModelFolder(
  source: ModelSource,
  spec: ModelSpec,
  weights: ReadonlyMap<string, HostTensor>,
  note = 'edited with Rudder',
): Promise<ExportedModel> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await source.readText('config.json')) as Record<string, unknown>;
  } catch (e) {
    throw new RudderError('bad-json', `config.json in ${source.id} cannot be read: ${(e as Error).message}.`);
  }
  const tensors = Object.fromEntries(toHfCheckpoint(spec, weights));
  const files = new Map<string, Uint8Array | string>();
  files.set(
    'model.safetensors',
    writeSafetensors(tensors, { format: 'pt', rudder: note }, 'model.safetensors'),
  );
  files.set('config.json', `${JSON.stringify(hfConfig(config, spec), null, 2)}\n`);
  for (const name of COPIED_FILES) if (await source.has(name)) files.set(name, await source.readText(name));
  return { files };
}
