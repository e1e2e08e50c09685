/**
 * `rudder steer`: build a contrast vector from a pairs file, optionally write it out (JSON,
 * safetensors or llama.cpp GGUF, by extension) and generate with it added.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { generate, type Model } from '../engine/node';
import {
  buildContrastVector,
  type ContrastPair,
  compile,
  type InterventionPositions,
  type Position,
  type PromptInput,
  type SteeringVector,
  VECTOR_HOOKS,
  VECTOR_METHODS,
  type VectorHook,
  type VectorMethod,
  vectorToGguf,
  vectorToJson,
  vectorToSafetensors,
} from '../interp';
import { num, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS, tokenIds } from './common';
import { PairsFileError, parsePairs } from './pairs';

export const STEER_USAGE = `  rudder steer    --model <dir|url|owner/name> --pairs <pairs.json|pairs.csv> [--layer N|N,M|all]
                  [--hook resid_post] [--position last|mean|<index>] [--method mean|pca_diff|pca_center|pca|logistic]
                  [--chat] [--out vector.json|vector.safetensors|vector.gguf]
                  [--prompt <text> [--coefficient C] [--positions all|prompt|from:N] [--normalize] [--compare]
                   [--max-tokens N] [--temperature T] [--seed S]]`;

export async function steerCommand(args: string[]): Promise<void> {
  const values = parse(args, {
    ...MODEL_OPTIONS,
    pairs: { type: 'string' },
    layer: { type: 'string' },
    hook: { type: 'string' },
    position: { type: 'string' },
    method: { type: 'string' },
    chat: { type: 'boolean' },
    out: { type: 'string' },
    prompt: { type: 'string' },
    coefficient: { type: 'string' },
    positions: { type: 'string' },
    normalize: { type: 'boolean' },
    compare: { type: 'boolean' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    seed: { type: 'string' },
  });
  if (!values.pairs)
    throw new UsageError('--pairs is required (a JSON or CSV file of positive/negative pairs)');
  const hook = oneOf(values.hook ?? 'resid_post', VECTOR_HOOKS, 'hook') as VectorHook;
  const method = oneOf(values.method ?? 'mean', VECTOR_METHODS, 'method') as VectorMethod;
  const position = parsePosition(values.position ?? 'last');
  const positions = parsePositions(values.positions ?? 'all');
  const outFormat = values.out ? formatOf(values.out) : undefined;
  let pairs: ContrastPair[];
  try {
    pairs = parsePairs(await readFile(values.pairs, 'utf8'), values.pairs);
  } catch (e) {
    if (e instanceof PairsFileError || (e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError((e as Error).message);
    throw e;
  }

  const model = await loadFromArgs(values);
  try {
    if (!model.tokenizer)
      pairs = pairs.map((p) => ({ positive: ids(p.positive), negative: ids(p.negative) }));
    const layers = parseLayers(values.layer, model.spec.nLayers);
    const started = performance.now();
    const vector = await buildContrastVector(model, {
      pairs,
      hook,
      layers,
      position,
      method,
      chat: values.chat ?? false,
    });
    const ms = performance.now() - started;
    console.error(`built a ${method} vector at ${hook} from ${pairs.length} pairs in ${ms.toFixed(0)} ms`);
    for (const [l, d] of Object.entries(vector.layers))
      console.error(`  layer ${l}: norm ${Math.hypot(...d).toFixed(4)}`);
    if (values.out && outFormat) {
      await writeFile(values.out, exportVector(vector, outFormat, model));
      console.error(`wrote ${values.out}`);
    }
    if (values.prompt !== undefined) await steeredGeneration(model, vector, values, positions);
  } finally {
    model.dispose();
  }
}

async function steeredGeneration(
  model: Model,
  vector: SteeringVector,
  values: Record<string, string | boolean | undefined>,
  positions: InterventionPositions,
): Promise<void> {
  const prompt = encodePrompt(model, values.prompt as string, values.chat === true);
  const coefficient = num(values, 'coefficient', 1);
  const sampling = {
    maxTokens: num(values, 'max-tokens', 48),
    temperature: num(values, 'temperature', 0),
    seed: num(values, 'seed', 0),
  };
  const text = (tokens: number[]) =>
    model.tokenizer ? model.tokenizer.decode(tokens, { skipSpecialTokens: true }) : tokens.join(' ');
  if (values.compare) {
    const plain = await generate(model, prompt, sampling);
    console.log(`unsteered: ${text(plain.tokens)}`);
  }
  const c = compile(
    { kind: 'add', vector: 'v', coefficient, positions, normalize: values.normalize === true },
    { model, vectors: { v: vector } },
  );
  try {
    const steered = await generate(model, prompt, { ...sampling, hooks: c.hooks });
    console.log(`${values.compare ? `steered (${coefficient}): ` : ''}${text(steered.tokens)}`);
  } finally {
    c.dispose();
  }
}

type OutFormat = 'json' | 'safetensors' | 'gguf';

function formatOf(file: string): OutFormat {
  const ext = /\.(json|safetensors|gguf)$/i.exec(file)?.[1]?.toLowerCase();
  if (!ext) throw new UsageError(`--out must end in .json, .safetensors or .gguf, got "${file}"`);
  return ext as OutFormat;
}

function exportVector(v: SteeringVector, format: OutFormat, model: Model): Uint8Array | string {
  if (format === 'json') return vectorToJson(v);
  if (format === 'safetensors') return vectorToSafetensors(v);
  return vectorToGguf(v, { modelHint: model.spec.modelType });
}

function oneOf(value: string, allowed: readonly string[], name: string): string {
  if (!allowed.includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function parseLayers(arg: string | undefined, nLayers: number): number[] | 'all' {
  if (arg === 'all') return 'all';
  if (arg === undefined) return [Math.floor(nLayers / 2)];
  const layers = arg.split(',').map((s) => Number(s.trim()));
  if (layers.some((l) => !Number.isInteger(l) || l < 0 || l >= nLayers))
    throw new UsageError(
      `--layer must be layer numbers in 0..${nLayers - 1} (comma-separated) or "all", got "${arg}"`,
    );
  return layers;
}

export function parsePosition(arg: string): Position {
  if (arg === 'last' || arg === 'mean') return { kind: arg };
  const index = Number(arg);
  if (!Number.isInteger(index))
    throw new UsageError(`--position must be last, mean or a token index, got "${arg}"`);
  return { kind: 'index', index };
}

export function parsePositions(arg: string): InterventionPositions {
  if (arg === 'all' || arg === 'prompt') return { kind: arg };
  const from = /^from:(\d+)$/.exec(arg);
  if (from) return { kind: 'from', start: Number(from[1]) };
  throw new UsageError(`--positions must be all, prompt or from:N, got "${arg}"`);
}

/** For a model without a tokenizer, pairs give token ids ("12 7 99"). */
const ids = (p: PromptInput): number[] => (typeof p === 'string' ? tokenIds(p) : p);
