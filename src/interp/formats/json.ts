/**
 * Rudder's JSON vector file: the recipe (so a reader can rebuild the vector) and the exact
 * numbers, float32 little-endian in base64 per layer.
 *
 *   { "format": "rudder-vector", "version": 1, "modelId", "hook", "width", "rows",
 *     "layers": { "3": "<base64>" }, "recipe"?: {...} }
 */
import { WeightsFormatError } from '../../engine';
import type { SteeringVector } from '../vector';
import { vectorLayers } from '../vector';
import { base64ToFloats, checkedVector, floatsToBase64, parseRecipe } from './common';

export const JSON_FORMAT = 'rudder-vector';

export function vectorToJson(v: SteeringVector): string {
  const layers: Record<string, string> = {};
  for (const l of vectorLayers(v)) layers[l] = floatsToBase64(v.layers[l]!);
  return JSON.stringify(
    {
      format: JSON_FORMAT,
      version: 1,
      modelId: v.modelId,
      hook: v.hook,
      width: v.width,
      rows: v.rows,
      layers,
      ...(v.recipe ? { recipe: v.recipe } : {}),
    },
    null,
    1,
  );
}

export function vectorFromJson(text: string, fileName = 'vector.json'): SteeringVector {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || json.format !== JSON_FORMAT)
    fail(`is not a Rudder vector (expected "format": "${JSON_FORMAT}")`);
  if (json.version !== 1) fail(`is version ${JSON.stringify(json.version)}; this Rudder reads version 1`);
  const raw = json.layers;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('has no "layers" object');
  const layers: Record<number, Float32Array> = {};
  for (const [l, data] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof data !== 'string') fail(`layer ${l} is not a base64 string`);
    layers[Number(l)] = base64ToFloats(data as string, fileName);
  }
  const recipe = parseRecipe(json.recipe, fileName);
  return checkedVector(
    {
      modelId: json.modelId as string,
      hook: json.hook as SteeringVector['hook'],
      width: json.width as number,
      rows: json.rows as number,
      layers,
      ...(recipe ? { recipe } : {}),
    },
    fileName,
  );
}
