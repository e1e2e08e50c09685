/**
 * Vectors as safetensors: one F32 tensor per layer, named by its hook point
 * (`blocks.3.hook_resid_post`, shape [width] or [rows, width]), and the model, hook and recipe in
 * the string metadata, so PyTorch code reads the numbers with `safetensors.torch.load_file`.
 */
// parseSafetensors is not on the engine's public face yet (see the report to the lead).
import {
  type HostTensor,
  hookName,
  parseSafetensors,
  WeightsFormatError,
  writeSafetensors,
} from '../../engine';
import type { SteeringVector } from '../vector';
import { vectorLayers } from '../vector';
import { checkedVector, isVectorHook, parseRecipe } from './common';

export const SAFETENSORS_FORMAT = 'rudder-vector';

export function vectorToSafetensors(v: SteeringVector): Uint8Array {
  const tensors: Record<string, HostTensor> = {};
  for (const l of vectorLayers(v))
    tensors[hookName(v.hook, l)] = { shape: v.rows > 1 ? [v.rows, v.width] : [v.width], data: v.layers[l]! };
  return writeSafetensors(tensors, {
    format: SAFETENSORS_FORMAT,
    model_id: v.modelId,
    hook: v.hook,
    ...(v.recipe ? { recipe: JSON.stringify(v.recipe) } : {}),
  });
}

export function vectorFromSafetensors(bytes: Uint8Array, fileName = 'vector.safetensors'): SteeringVector {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  const file = parseSafetensors(bytes, fileName);
  const meta = file.metadata;
  if (meta.format !== SAFETENSORS_FORMAT)
    fail(`is not a Rudder vector (its metadata has no "format": "${SAFETENSORS_FORMAT}")`);
  const hook = meta.hook;
  if (!isVectorHook(hook)) fail(`names hook ${JSON.stringify(hook)}`);
  const layers: Record<number, Float32Array> = {};
  let width = 0;
  let rows = 1;
  for (const name of file.names) {
    const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (!m || name !== hookName(hook as SteeringVector['hook'], Number(m[1])))
      fail(`holds tensor "${name}", not a ${hook} layer`);
    const t = file.read(name);
    if (t.shape.length < 1 || t.shape.length > 2) fail(`tensor "${name}" has shape [${t.shape}]`);
    width = t.shape.at(-1)!;
    rows = t.shape.length === 2 ? t.shape[0]! : 1;
    layers[Number(m![1])] = Float32Array.from(t.data);
  }
  let recipe: unknown;
  try {
    recipe = meta.recipe === undefined ? undefined : JSON.parse(meta.recipe);
  } catch {
    fail('has a recipe that is not JSON');
  }
  const parsed = parseRecipe(recipe, fileName);
  return checkedVector(
    {
      modelId: meta.model_id ?? '',
      hook: hook as SteeringVector['hook'],
      width,
      rows,
      layers,
      ...(parsed ? { recipe: parsed } : {}),
    },
    fileName,
  );
}
