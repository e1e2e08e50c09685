/** What the vector formats share: checking a decoded vector, and float32 ↔ base64. */
import { WeightsFormatError } from '../../engine';
import { VECTOR_HOOKS, type VectorHook, type VectorRecipe } from '../recipe';
import type { SteeringVector } from '../vector';

/** Checks the fields every format must supply; throws WeightsFormatError naming the file. */
export function checkedVector(v: SteeringVector, fileName: string): SteeringVector {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  if (typeof v.modelId !== 'string' || !v.modelId) fail('names no model');
  if (!isVectorHook(v.hook)) fail(`names hook "${v.hook}"; vectors live at ${VECTOR_HOOKS.join(', ')}`);
  if (!Number.isInteger(v.width) || v.width < 1) fail(`has width ${v.width}`);
  if (!Number.isInteger(v.rows) || v.rows < 1) fail(`has ${v.rows} rows`);
  const layers = Object.keys(v.layers);
  if (!layers.length) fail('holds no layers');
  for (const l of layers) {
    if (!/^\d+$/.test(l)) fail(`has a layer named "${l}" (layers are non-negative integers)`);
    const n = v.layers[Number(l)]!.length;
    if (n !== v.rows * v.width) fail(`layer ${l} holds ${n} values, expected ${v.rows} × ${v.width}`);
  }
  return v;
}

export function isVectorHook(x: unknown): x is VectorHook {
  return typeof x === 'string' && (VECTOR_HOOKS as readonly string[]).includes(x);
}

const RECIPE_SOURCES = ['contrast', 'actadd', 'refusal', 'import'];

/**
 * A recipe read from a file: checked for its shape here only as far as `from` and `model`; the
 * experiment layer validates recipes fully (zod) where they enter an Experiment.
 */
export function parseRecipe(x: unknown, fileName: string): VectorRecipe | undefined {
  if (x === undefined || x === null) return undefined;
  const r = x as { from?: unknown; model?: unknown };
  if (typeof x !== 'object' || !RECIPE_SOURCES.includes(r.from as string))
    throw new WeightsFormatError(fileName, `has a recipe of unknown kind ${JSON.stringify(r.from)}`);
  if (r.from !== 'import' && typeof r.model !== 'string')
    throw new WeightsFormatError(fileName, 'has a recipe that names no model');
  return x as VectorRecipe;
}

export function floatsToBase64(data: Float32Array): string {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((x, i) => view.setFloat32(4 * i, x, true));
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToFloats(text: string, fileName: string): Float32Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new WeightsFormatError(fileName, 'holds layer data that is not base64');
  }
  if (s.length % 4 !== 0)
    throw new WeightsFormatError(fileName, 'holds layer data that is not whole float32 values');
  const view = new DataView(Uint8Array.from(s, (c) => c.charCodeAt(0)).buffer);
  return Float32Array.from({ length: s.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}
