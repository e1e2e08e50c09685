/**
 * Small explicit readers for config.json fields. Each names the field and the file when the value
 * is missing or of the wrong type, so that a person can fix the file they have in front of them.
 */
import { shownValue, UnsupportedModelError } from '../errors';
import { intMax, isTokenId, MAX_STOP_IDS, MAX_VOCAB, numRange } from './bounds';

export const CONFIG_FILE = 'config.json';

export type Json = Readonly<Record<string, unknown>>;

export function asObject(json: unknown): Json {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UnsupportedModelError(
      `${CONFIG_FILE} must hold a JSON object, but it holds ${describe(json)}.`,
    );
  }
  return json as Json;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${shownValue(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function fieldError(key: string, wanted: string, value: unknown): UnsupportedModelError {
  const found = value === undefined ? 'it is missing' : `it is ${describe(value)}`;
  return new UnsupportedModelError(`${CONFIG_FILE}: field "${key}" must be ${wanted}, but ${found}.`);
}

const absent = (v: unknown): v is null | undefined => v === null || v === undefined;

/** A required positive integer (sizes, counts), at most the field's bound (bounds.ts). */
export function int(json: Json, key: string): number {
  const v = json[key];
  const max = intMax(key);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw fieldError(key, `a positive integer no larger than ${max}`, v);
  return v;
}

/** An optional positive integer; null counts as absent, as Hugging Face's config classes do. */
export function optInt(json: Json, key: string, fallback: number): number {
  return absent(json[key]) ? fallback : int(json, key);
}

/**
 * An optional positive finite number (epsilons, rotary base), within the field's range (bounds.ts).
 * `within` names the object holding it when that is not config.json's top level ("rope_scaling").
 */
export function optPosNum(json: Json, key: string, fallback: number, within?: string): number {
  const v = json[key];
  if (absent(v)) return fallback;
  const name = within === undefined ? key : `${within}.${key}`;
  const [min, max] = numRange(name);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v < min || v > max)
    throw fieldError(
      name,
      min > 0 ? `a number from ${min} to ${max}` : `a positive number no larger than ${max}`,
      v,
    );
  return v;
}

/**
 * An optional string field that names one entry of `table` (an activation, say); anything else,
 * Object.prototype's names included, is refused with the supported values.
 */
export function optChoice<T>(
  json: Json,
  key: string,
  table: Readonly<Record<string, T>>,
  fallback: string,
): T {
  const name = optStr(json, key, fallback);
  if (!Object.hasOwn(table, name))
    refuse(key, name, `supported values are ${Object.keys(table).join(', ')}.`);
  return table[name]!;
}

export function optBool(json: Json, key: string, fallback: boolean): boolean {
  const v = json[key];
  if (absent(v)) return fallback;
  if (typeof v !== 'boolean') throw fieldError(key, 'true or false', v);
  return v;
}

export function optStr(json: Json, key: string, fallback: string): string {
  const v = json[key];
  if (absent(v)) return fallback;
  if (typeof v !== 'string') throw fieldError(key, 'a string', v);
  return v;
}

/** `model_type`, required by every family. */
export function modelType(json: Json): string {
  const v = json.model_type;
  if (typeof v !== 'string') throw fieldError('model_type', 'a string such as "llama"', v);
  return v;
}

/** `a / b` when it divides exactly; otherwise the config is inconsistent and we say so. */
export function exactDiv(a: number, aKey: string, b: number, bKey: string): number {
  if (a % b !== 0) {
    throw new UnsupportedModelError(
      `${CONFIG_FILE}: "${aKey}" (${a}) is not a multiple of "${bKey}" (${b}), so the head size is not a whole number.`,
    );
  }
  return a / b;
}

/** bos_token_id (a number or null) and eos_token_id (a number, a list of numbers, or null). */
export function specialIds(json: Json): { bosTokenId?: number; eosTokenIds: number[] } {
  const bos = json.bos_token_id;
  const eos = json.eos_token_id;
  const id = `a token id (an integer below ${MAX_VOCAB})`;
  if (!absent(bos) && !isTokenId(bos)) throw fieldError('bos_token_id', `${id} or null`, bos);
  let eosTokenIds: number[] = [];
  if (Array.isArray(eos)) {
    if (eos.length > MAX_STOP_IDS || !eos.every(isTokenId))
      throw fieldError('eos_token_id', `${id}, a list of at most ${MAX_STOP_IDS} of them, or null`, eos);
    eosTokenIds = eos;
  } else if (isTokenId(eos)) {
    eosTokenIds = [eos];
  } else if (!absent(eos)) {
    throw fieldError('eos_token_id', `${id}, a list of at most ${MAX_STOP_IDS} of them, or null`, eos);
  }
  return isTokenId(bos) ? { bosTokenId: bos, eosTokenIds } : { eosTokenIds };
}

/** A field whose non-default value would change the computation in a way the engine cannot do. */
export function refuse(key: string, value: unknown, why: string): never {
  throw new UnsupportedModelError(`${CONFIG_FILE}: "${key}": ${shownValue(value)} is not supported: ${why}`);
}
