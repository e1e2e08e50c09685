/**
 * `rudder sae train | features | steer`: a sparse autoencoder on an organism's residual stream
 * (METHODS.md §17), trained on its shipped texts, saved as safetensors; its features' top texts;
 * steering by one feature through compile's `add`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { generate, sourceFromArg } from '../engine/node';
import {
  compile,
  featureTopTexts,
  featureVector,
  readOrganismData,
  type SparseAutoencoder,
  saeCorpus,
  saeFromSafetensors,
  saeToSafetensors,
  trainResidualSae,
} from '../interp';
import { helpRequested, num, numbers, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

export const SAE_USAGE = `  rudder sae train    --model <organism dir> --out sae.safetensors [--layer L] [--features N] [--l1 λ]
                      [--steps N] [--batch N] [--seed S]
                      (JSON: explained variance, L0, dead fraction on held-out tokens, training time)
  rudder sae features --model <organism dir> --sae sae.safetensors [--features 0,1,2] [--top N]
  rudder sae steer    --model <dir> --sae sae.safetensors --feature J --coefficient C --prompt <text> [--max-tokens N]`;

export async function saeCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (
    !sub ||
    helpRequested(args.slice(0, 1), `Usage:\n${SAE_USAGE}`) ||
    helpRequested(rest, `Usage:\n${SAE_USAGE}`)
  )
    return;
  if (sub === 'train') return train(rest);
  if (sub === 'features') return features(rest);
  if (sub === 'steer') return steer(rest);
  throw new UsageError(`unknown sae command "${sub}" (train, features or steer)`);
}

/** The organism's shipped texts (saeCorpus). */
async function corpus(model: string): Promise<string[]> {
  const texts = saeCorpus(await readOrganismData(sourceFromArg(model)));
  if (!texts.length) throw new UsageError('the model folder has no datasets/ texts to train on');
  return texts;
}

async function train(args: string[]): Promise<void> {
  const values = parse(args, {
    ...MODEL_OPTIONS,
    out: { type: 'string' },
    layer: { type: 'string' },
    features: { type: 'string' },
    l1: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out is required (e.g. sae.safetensors)');
  const model = await loadFromArgs(values);
  try {
    const layer = num(values, 'layer', Math.floor(model.spec.nLayers / 2));
    // The last tenth of the tokens is held out for the figures.
    const result = await trainResidualSae(model, await corpus(values.model!), layer, {
      dSae: num(values, 'features', 8 * model.spec.dModel),
      l1: num(values, 'l1', 3),
      steps: num(values, 'steps', 2000),
      batchSize: num(values, 'batch', 512),
      seed: num(values, 'seed', 1),
      progressEvery: 100,
      onProgress: (p) =>
        console.error(
          `step ${p.step}/${p.steps} mse ${p.mse.toFixed(4)} L0 ${p.l0.toFixed(1)} dead ${p.dead}`,
        ),
    });
    await writeFile(values.out, saeToSafetensors(result.sae));
    console.log(
      JSON.stringify({
        model: model.id,
        layer,
        features: result.sae.dSae,
        l1: result.sae.l1,
        trainTokens: result.trainTokens,
        trainMs: Math.round(result.ms),
        resampled: result.resampled,
        heldOut: result.figures,
      }),
    );
  } finally {
    model.dispose();
  }
}

async function readSae(file: string | undefined): Promise<SparseAutoencoder> {
  if (!file) throw new UsageError('--sae is required');
  return saeFromSafetensors(new Uint8Array(await readFile(file)), basename(file));
}

async function features(args: string[]): Promise<void> {
  const values = parse(args, {
    ...MODEL_OPTIONS,
    sae: { type: 'string' },
    features: { type: 'string' },
    top: { type: 'string' },
  });
  const sae = await readSae(values.sae);
  const model = await loadFromArgs(values);
  try {
    const texts = await corpus(values.model!);
    const wanted = numbers(values, 'features', [0, 1, 2, 3, 4]);
    const tops = await featureTopTexts(
      model,
      { ...sae, modelId: model.id },
      texts,
      wanted,
      num(values, 'top', 5),
    );
    const tok = model.tokenizer!;
    const show = (text: number, position: number) => {
      const ids = tok.encode(texts[text]!, { addSpecialTokens: false });
      return {
        context: tok.decode(ids.slice(Math.max(0, position - 8), position)),
        token: tok.decode([ids[position]!]),
      };
    };
    for (const [i, j] of wanted.entries())
      console.log(
        JSON.stringify({ feature: j, top: tops[i]!.map((e) => ({ ...e, ...show(e.text, e.position) })) }),
      );
  } finally {
    model.dispose();
  }
}

async function steer(args: string[]): Promise<void> {
  const values = parse(args, {
    ...MODEL_OPTIONS,
    sae: { type: 'string' },
    feature: { type: 'string' },
    coefficient: { type: 'string' },
    prompt: { type: 'string' },
    chat: { type: 'boolean' },
    'max-tokens': { type: 'string' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const sae = await readSae(values.sae);
  const model = await loadFromArgs(values);
  try {
    const j = num(values, 'feature');
    if (j === undefined) throw new UsageError('--feature is required');
    const v = featureVector({ ...sae, modelId: model.id }, j);
    const c = compile(
      { kind: 'add', vector: 'f', coefficient: num(values, 'coefficient', 8) },
      { model, vectors: { f: v } },
    );
    const prompt = encodePrompt(model, values.prompt, values.chat ?? false);
    const opts = { maxTokens: num(values, 'max-tokens', 32) };
    const text = async (hooks?: typeof c.hooks) =>
      model.tokenizer!.decode((await generate(model, prompt, { ...opts, hooks })).tokens, {
        skipSpecialTokens: true,
      });
    console.log(`unsteered: ${await text()}`);
    console.log(`feature ${j} ×${num(values, 'coefficient', 8)}: ${await text(c.hooks)}`);
    c.dispose();
  } finally {
    model.dispose();
  }
}
