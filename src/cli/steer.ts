/**
 * `rudder steer`: build a contrast vector from a pairs file (or read one from a vector file, or
 * build an ActAdd vector from two prompts), optionally write it out (JSON, safetensors or llama.cpp
 * GGUF, by extension) and generate with it applied by one of the steering operators.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { generate, type Model } from '../engine/node';
import { defaultExperiment } from '../experiment';
import {
  assertCompatible,
  buildContrastVector,
  buildFromRecipe,
  type ContrastPair,
  compile,
  type Intervention,
  type InterventionPositions,
  type Position,
  type PromptInput,
  readVectorFile,
  type SteeringVector,
  VECTOR_HOOKS,
  VECTOR_METHODS,
  type VectorHook,
  type VectorMethod,
  vectorLayers,
  vectorToGguf,
  vectorToJson,
  vectorToSafetensors,
} from '../interp';
import { helpRequested, num, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS, tokenIds } from './common';
import { PairsFileError, parsePairs } from './pairs';

/** The page's defaults (ExperimentSchema's): a link and the command line build the same vector. */
const DEFAULTS = defaultExperiment();

export const STEER_USAGE = `  rudder steer    --model <dir|url|owner/name> --pairs <pairs.json|pairs.csv> [--layer N|N,M|all (middle)]
                  [--hook ${VECTOR_HOOKS.join('|')} (${DEFAULTS.steering.hook})] [--position mean|last|<index> (${DEFAULTS.steering.position.kind})]
                  [--method mean|pca_diff|pca_center|pca|logistic (${DEFAULTS.steering.method})]
                  [--chat] [--out vector.json|vector.safetensors|vector.gguf]
                  [--prompt <text> [--coefficient C (${DEFAULTS.steering.coefficient})] [--positions all|prompt|from:N|last|prompt-last|front] [--normalize]
                   [--operator add|ablate-add|layer-weighted|guard] [--compare]
                   [--max-tokens N (${DEFAULTS.generation.maxTokens})] [--temperature T (${DEFAULTS.generation.temperature})] [--top-p P (${DEFAULTS.generation.topP})] [--seed S (${DEFAULTS.generation.seed})]]
  rudder steer    --model ... --vector <file.json|file.safetensors|file.gguf> [--layer ...] --prompt ... (as above)
  rudder steer    --model ... --actadd <positive>::<negative> --layer N --prompt ... (ActAdd, front-aligned)`;

export async function steerCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${STEER_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    pairs: { type: 'string' },
    vector: { type: 'string' },
    actadd: { type: 'string' },
    operator: { type: 'string' },
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
    'top-p': { type: 'string' },
    seed: { type: 'string' },
  });
  if ([values.pairs, values.vector, values.actadd].filter((v) => v !== undefined).length !== 1)
    throw new UsageError(
      'give one of --pairs (a JSON or CSV file of positive/negative pairs), --vector (a vector file) or --actadd',
    );
  const hook = oneOf(values.hook ?? DEFAULTS.steering.hook, VECTOR_HOOKS, 'hook') as VectorHook;
  const method = oneOf(values.method ?? DEFAULTS.steering.method, VECTOR_METHODS, 'method') as VectorMethod;
  const operator = oneOf(values.operator ?? 'add', OPERATORS, 'operator') as Operator;
  const position = values.position ? parsePosition(values.position) : DEFAULTS.steering.position;
  const positions = parsePositions(values.positions ?? (values.actadd ? 'front' : 'all'));
  const outFormat = values.out ? formatOf(values.out) : undefined;
  const pairs = values.pairs ? await readPairs(values.pairs) : [];
  const file = values.vector ? await readVectorArg(values.vector) : undefined;

  const model = await loadFromArgs(values);
  try {
    const started = performance.now();
    let vector: SteeringVector;
    if (file) {
      vector = bindToModel(readVectorFile(file.bytes, file.name, { model }), model, values.layer);
      console.error(`read a ${vector.hook} vector from ${values.vector}`);
    } else if (values.actadd) {
      const [positive, negative] = splitActAdd(values.actadd);
      const layer = parseLayers(values.layer, model.spec.nLayers);
      if (layer === 'all' || layer.length !== 1) throw new UsageError('--actadd needs exactly one --layer');
      vector = await buildFromRecipe(model, {
        from: 'actadd',
        model: model.id,
        positive,
        negative,
        layer: layer[0]!,
      });
      console.error(`built an ActAdd vector (${vector.rows} positions) at resid_pre ${layer[0]}`);
    } else {
      const own = model.tokenizer
        ? pairs
        : pairs.map((p) => ({ positive: ids(p.positive), negative: ids(p.negative) }));
      const layers = parseLayers(values.layer, model.spec.nLayers);
      vector = await buildContrastVector(model, {
        pairs: own,
        hook,
        layers,
        position,
        method,
        chat: values.chat ?? false,
      });
      const ms = performance.now() - started;
      console.error(`built a ${method} vector at ${hook} from ${pairs.length} pairs in ${ms.toFixed(0)} ms`);
    }
    for (const [l, d] of Object.entries(vector.layers))
      console.error(`  layer ${l}: norm ${Math.hypot(...d).toFixed(4)}`);
    if (values.out && outFormat) {
      await writeFile(values.out, exportVector(vector, outFormat, model));
      console.error(`wrote ${values.out}`);
    }
    if (values.prompt !== undefined) await steeredGeneration(model, vector, values, positions, operator);
  } finally {
    model.dispose();
  }
}

const OPERATORS = ['add', 'ablate-add', 'layer-weighted', 'guard'] as const;
type Operator = (typeof OPERATORS)[number];

/** The intervention an operator applies with `coefficient` (METHODS.md §1-§4, §10, §11). */
export function operatorIntervention(
  operator: Operator,
  vector: SteeringVector,
  coefficient: number,
  positions: InterventionPositions,
  normalize: boolean,
): Intervention {
  const layers = vectorLayers(vector);
  switch (operator) {
    case 'add':
    case 'ablate-add':
      return {
        kind: 'add',
        vector: 'v',
        coefficient,
        positions,
        ...(normalize ? { normalize: true } : {}),
        ...(operator === 'ablate-add' ? { ablateFirst: true } : {}),
      };
    case 'layer-weighted':
      // Equal weights over the vector's layers; the global strength is the coefficient (§11).
      return {
        kind: 'layer-weighted',
        vector: 'v',
        strength: coefficient,
        weights: layers.map((layer) => ({ layer, weight: 1 / layers.length })),
        positions,
      };
    case 'guard':
      return { kind: 'guard', vector: 'v', layer: layers[0]!, coefficient };
  }
}

async function readPairs(file: string): Promise<ContrastPair[]> {
  try {
    return parsePairs(await readFile(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof PairsFileError || (e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError((e as Error).message);
    throw e;
  }
}

async function readVectorArg(file: string): Promise<{ bytes: Uint8Array; name: string }> {
  try {
    return { bytes: new Uint8Array(await readFile(file)), name: basename(file) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${file} does not exist`);
    throw e;
  }
}

/**
 * A vector file named on the command line is the person's choice for this model: it is checked
 * against the model's shapes and bound to it (a file from another path of the same model has
 * another id), keeping only the asked-for layers.
 */
function bindToModel(v: SteeringVector, model: Model, layerArg: string | undefined): SteeringVector {
  if (v.modelId && v.modelId !== model.id) console.error(`note: the file names model "${v.modelId}"`);
  const bound = { ...v, modelId: model.id };
  assertCompatible(bound, model);
  if (layerArg === undefined) return bound;
  const wanted = parseLayers(layerArg, model.spec.nLayers);
  if (wanted === 'all') return bound;
  const missing = wanted.filter((l) => !bound.layers[l]);
  if (missing.length)
    throw new UsageError(
      `the vector has no layer ${missing.join(', ')} (it has ${vectorLayers(v).join(', ')})`,
    );
  return { ...bound, layers: Object.fromEntries(wanted.map((l) => [l, bound.layers[l]!])) };
}

function splitActAdd(arg: string): [string, string] {
  const parts = arg.split('::');
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new UsageError(`--actadd must be <positive>::<negative>, got "${arg}"`);
  return [parts[0], parts[1]];
}

async function steeredGeneration(
  model: Model,
  vector: SteeringVector,
  values: Record<string, string | boolean | undefined>,
  positions: InterventionPositions,
  operator: Operator,
): Promise<void> {
  const prompt = encodePrompt(model, values.prompt as string, values.chat === true);
  const coefficient = num(values, 'coefficient', DEFAULTS.steering.coefficient);
  const sampling = {
    maxTokens: num(values, 'max-tokens', DEFAULTS.generation.maxTokens),
    temperature: num(values, 'temperature', DEFAULTS.generation.temperature),
    topP: num(values, 'top-p', DEFAULTS.generation.topP),
    seed: num(values, 'seed', DEFAULTS.generation.seed),
  };
  const text = (tokens: number[]) =>
    model.tokenizer ? model.tokenizer.decode(tokens, { skipSpecialTokens: true }) : tokens.join(' ');
  if (values.compare) {
    const plain = await generate(model, prompt, sampling);
    console.log(`unsteered: ${text(plain.tokens)}`);
  }
  const c = compile(
    operatorIntervention(operator, vector, coefficient, positions, values.normalize === true),
    {
      model,
      vectors: { v: vector },
    },
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
  if (arg === 'all' || arg === 'prompt' || arg === 'last' || arg === 'prompt-last' || arg === 'front')
    return { kind: arg };
  const from = /^from:(\d+)$/.exec(arg);
  if (from) return { kind: 'from', start: Number(from[1]) };
  throw new UsageError(`--positions must be all, prompt, from:N, last, prompt-last or front, got "${arg}"`);
}

/** For a model without a tokenizer, pairs give token ids ("12 7 99"). */
const ids = (p: PromptInput): number[] => (typeof p === 'string' ? tokenIds(p) : p);
