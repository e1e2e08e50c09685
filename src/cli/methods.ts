/**
 * `rudder fv | introspect | export`: function vectors from the organism's few-shot tasks (METHODS.md
 * §13), the introspection probe (§18), and a patched model written as a Hugging Face folder (§5
 * weight form, §8 Steer2Edit). JSON on stdout, progress on stderr.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Model, sourceFromArg } from '../engine/node';
import {
  applyWeightEdits,
  buildContrastVector,
  buildFunctionVector,
  evaluateFunctionVector,
  exportModelFolder,
  iclTasks,
  introspectionProbe,
  layerDirection,
  orthogonalizeWeights,
  readOrganismData,
  readVectorFile,
  refusalDirection,
  type SteeringVector,
  steer2editEdits,
  vectorLayers,
} from '../interp';
import { helpRequested, num, numbers, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';
import { parsePairs } from './pairs';

export const FV_USAGE = `  rudder fv       --model <organism dir> [--task <name>] [--corruption shuffled|zero-shot] [--heads K]
                  [--layer L] [--every-layer]
                  (JSON per task: the AIE grid, the top heads, 4-shot and zero-shot accuracy without and with
                   the FV on held-out items, and the FV's logit-lens readout)`;

export async function fvCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${FV_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    task: { type: 'string' },
    corruption: { type: 'string' },
    heads: { type: 'string' },
    layer: { type: 'string' },
    'every-layer': { type: 'boolean' },
  });
  const corruption = values.corruption ?? 'shuffled';
  if (corruption !== 'shuffled' && corruption !== 'zero-shot')
    throw new UsageError('--corruption must be shuffled or zero-shot');
  const model = await loadFromArgs(values);
  try {
    const data = await readOrganismData(sourceFromArg(values.model!));
    const byTask = iclTasks(data);
    if (!byTask.size)
      throw new UsageError('the model folder has no datasets/icl_tasks.json with shots and queries');
    const tasks = values.task ? [values.task] : [...byTask.keys()];
    for (const task of tasks) {
      const own = byTask.get(task);
      if (!own) throw new UsageError(`no few-shot items for task "${task}"`);
      const started = performance.now();
      const fv = await buildFunctionVector(model, own.build, data.fewShotFormat, {
        corruption,
        topHeads: num(values, 'heads'),
        layer: num(values, 'layer'),
      });
      const figures = await evaluateFunctionVector(model, fv, own.heldOut, {
        format: data.fewShotFormat,
        everyLayer: values['every-layer'] ?? false,
      });
      console.error(`${task}: ${(performance.now() - started).toFixed(0)} ms`);
      const { nHeads: H } = model.spec;
      console.log(
        JSON.stringify({
          task,
          corruption,
          layer: fv.layer,
          heads: fv.heads,
          aie: Array.from({ length: model.spec.nLayers }, (_, l) => [...fv.aie.subarray(l * H, (l + 1) * H)]),
          fvNorm: Math.hypot(...fv.fv),
          ...figures,
        }),
      );
    }
  } finally {
    model.dispose();
  }
}

export const INTROSPECT_USAGE = `  rudder introspect --model <chat organism dir> [--concept sentiment|<vector file>] [--layer L]
                  [--coefficients 1,2,4,8] [--random N] [--question <text>]
                  (JSON: P(yes)/P(no) of the answer with no injection, with the concept, and with random
                   vectors of its norm, and the greedy replies)`;

export async function introspectCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${INTROSPECT_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    concept: { type: 'string' },
    layer: { type: 'string' },
    coefficients: { type: 'string' },
    random: { type: 'string' },
    question: { type: 'string' },
  });
  const model = await loadFromArgs(values);
  try {
    const layer = num(values, 'layer', Math.floor(model.spec.nLayers / 2));
    const concept = values.concept ?? 'sentiment';
    let vector: SteeringVector;
    if (concept === 'sentiment') {
      const data = await readOrganismData(sourceFromArg(values.model!));
      if (!data.sentimentPairs.length)
        throw new UsageError('the model folder has no sentiment pairs: give a vector file');
      vector = await buildContrastVector(model, {
        pairs: data.sentimentPairs.slice(0, 16).map((p) => ({ positive: p.positive, negative: p.negative })),
        hook: 'resid_post',
        layers: [layer],
        position: { kind: 'mean' },
        method: 'mean',
      });
    } else {
      const file = readVectorFile(new Uint8Array(await readFile(concept)), basename(concept), { model });
      vector = {
        ...file,
        modelId: model.id,
        hook: 'resid_post',
        layers: {
          [layer]: layerDirection(file, vectorLayers(file).includes(layer) ? layer : vectorLayers(file)[0]!),
        },
      };
    }
    const r = await introspectionProbe(model, {
      vector,
      layer,
      coefficients: numbers(values, 'coefficients', [1, 2, 4, 8]),
      randomVectors: num(values, 'random', 4),
      ...(values.question ? { question: values.question } : {}),
    });
    console.log(
      JSON.stringify(
        { model: model.id, conceptSource: concept, norm: Math.hypot(...vector.layers[layer]!), ...r },
        null,
        1,
      ),
    );
  } finally {
    model.dispose();
  }
}

export const EXPORT_USAGE = `  rudder export   --model <dir> --out <folder> (--orthogonalize <vector file> [--layer L] | --refusal [--layer L]
                  | --steer2edit <pairs.json> [--rho-attn R] [--rho-mlp R] [--alpha A] [--scale S])
                  (writes model.safetensors, config.json and the tokenizer files: a folder Rudder,
                   transformers and llama.cpp's converter load)`;

export async function exportCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${EXPORT_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    out: { type: 'string' },
    orthogonalize: { type: 'string' },
    refusal: { type: 'boolean' },
    layer: { type: 'string' },
    steer2edit: { type: 'string' },
    'rho-attn': { type: 'string' },
    'rho-mlp': { type: 'string' },
    alpha: { type: 'string' },
    scale: { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out is required (the folder to write)');
  if ([values.orthogonalize, values.refusal, values.steer2edit].filter(Boolean).length !== 1)
    throw new UsageError('give one of --orthogonalize <vector file>, --refusal or --steer2edit <pairs.json>');
  const model = await loadFromArgs(values);
  try {
    const source = sourceFromArg(values.model!);
    let spec = model.spec;
    let weights = model.hostWeights();
    let note: string;
    if (values.steer2edit) {
      const pairs = parsePairs(await readFile(values.steer2edit, 'utf8'), values.steer2edit);
      const edits = await steer2editEdits(model, {
        pairs,
        rhoAttn: num(values, 'rho-attn', 0.5),
        rhoMlp: num(values, 'rho-mlp', 0.5),
        alpha: num(values, 'alpha', 0.95),
      });
      weights = applyWeightEdits(spec, weights, edits, num(values, 'scale', 1));
      note = `steer2edit: ${edits.heads.length} heads, ${edits.neurons.length} neurons`;
    } else {
      const direction = await exportDirection(model, values);
      ({ spec, weights } = orthogonalizeWeights(spec, weights, direction));
      note = 'orthogonalised against one direction (Arditi et al. weight form)';
    }
    const { files } = await exportModelFolder(source, spec, weights, note);
    await mkdir(values.out, { recursive: true });
    for (const [name, content] of files) await writeFile(join(values.out, name), content);
    console.error(`${note}; wrote ${[...files.keys()].join(', ')} to ${values.out}`);
  } finally {
    model.dispose();
  }
}

/** The direction to orthogonalise: a vector file's layer, or §5's difference of means at --layer. */
async function exportDirection(
  model: Model,
  values: { model?: string; orthogonalize?: string; layer?: string },
): Promise<Float32Array> {
  if (values.orthogonalize) {
    const v = readVectorFile(
      new Uint8Array(await readFile(values.orthogonalize)),
      basename(values.orthogonalize),
      { model },
    );
    return layerDirection(v, num(values, 'layer', vectorLayers(v)[0]!));
  }
  const data = await readOrganismData(sourceFromArg(values.model!));
  if (!data.harmful.length || !data.harmless.length)
    throw new UsageError('--refusal needs the model folder’s datasets/harmful.json and harmless.json');
  const encode = (t: string) => encodePrompt(model, t, true);
  const layer = num(values, 'layer', Math.floor(model.spec.nLayers / 2));
  return refusalDirection(
    model,
    data.harmful.map((i) => encode(i.instruction)),
    data.harmless.map((i) => encode(i.instruction)),
    layer,
  );
}
