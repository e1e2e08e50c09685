/** What the vector formats share: checking a decoded vector, and float32 ↔ base64. */
import { MAX_LAYERS, MAX_MLP, shownValue, WeightsFormatError } from '../../engine';
import { VECTOR_HOOKS, type VectorHook, type VectorRecipe } from '../recipe';
import type { SteeringVector } from '../vector';

/** Rows of a per-position (ActAdd) vector: the longest prompt a vector is read from. */
const MAX_ROWS = 4096;

/**
 * Checks the fields every format must supply, and the values: every one finite, and no layer all
 * zeros (steering with it would silently do nothing). Throws WeightsFormatError naming the file.
 */
export function checkedVector(v: SteeringVector, fileName: string): SteeringVector {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  if (typeof v.modelId !== 'string' || !v.modelId) fail('names no model');
  if (!isVectorHook(v.hook))
    fail(`names hook ${shownValue(v.hook)}; vectors live at ${VECTOR_HOOKS.join(', ')}`);
  // A width is d_model or d_mlp (mlp_post), within config.json's bounds.
  if (!Number.isInteger(v.width) || v.width < 1 || v.width > MAX_MLP)
    fail(`has width ${shownValue(v.width)} (a width is 1 to ${MAX_MLP})`);
  if (!Number.isInteger(v.rows) || v.rows < 1 || v.rows > MAX_ROWS)
    fail(`has ${shownValue(v.rows)} rows (1 to ${MAX_ROWS})`);
  const layers = Object.keys(v.layers);
  if (!layers.length) fail('holds no layers');
  for (const l of layers) {
    if (!/^\d{1,4}$/.test(l) || Number(l) >= MAX_LAYERS)
      fail(`has a layer named ${shownValue(l)} (layers are integers from 0 to ${MAX_LAYERS - 1})`);
    const data = v.layers[Number(l)]!;
    if (data.length !== v.rows * v.width)
      fail(`layer ${l} holds ${data.length} values, expected ${v.rows} × ${v.width}`);
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`layer ${l} holds ${data[bad]} at index ${bad}; every value must be a finite number`);
    if (data.every((x) => x === 0)) fail(`layer ${l} is all zeros, so steering with it would do nothing`);
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
