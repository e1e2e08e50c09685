/**
 * `rudder lens`: the logit lens (and the tuned lens, when the model folder has one) of a prompt,
 * as JSON on stdout. `--train-tuned` trains translators on text and saves them beside the model.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../engine/node';
import { sourceFromArg } from '../engine/node';
import {
  type LensResult,
  lensKlByLayer,
  loadTunedLens,
  logitLens,
  readOrganismData,
  TUNED_LENS_FILE,
  type TunedLens,
  trainTunedLens,
  tunedLensToSafetensors,
} from '../interp';
import { helpRequested, num, parse, UsageError } from './args';

export const LENS_USAGE = `  rudder lens     --model ... --prompt <text> [--chat] [--k 10] [--track <token>...] [--mid]
                  (JSON: top tokens per layer and position, logit lens and tuned lens)
  rudder lens     --model <dir> --train-tuned [--text <file>] [--steps 300] [--prompt ...]`;

import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

export async function lensCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${LENS_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    prompt: { type: 'string' },
    chat: { type: 'boolean' },
    k: { type: 'string' },
    track: { type: 'string', multiple: true },
    mid: { type: 'boolean' },
    'train-tuned': { type: 'boolean' },
    text: { type: 'string' },
    steps: { type: 'string' },
  });
  if (values.prompt === undefined && !values['train-tuned'])
    throw new UsageError('--prompt is required (or --train-tuned to train a tuned lens)');
  const model = await loadFromArgs(values);
  let tuned: TunedLens | undefined;
  try {
    const source = sourceFromArg(values.model!);
    if (values['train-tuned']) {
      const texts = values.text ? readTexts(values.text) : (await readOrganismData(source)).validation;
      tuned = await trainAndReport(model, texts, num(values, 'steps', 300));
      const file = join(values.model!, TUNED_LENS_FILE);
      writeFileSync(file, await tunedLensToSafetensors(tuned, model.id));
      console.error(`saved ${file}`);
    } else {
      tuned = await loadTunedLens(source, model.spec);
    }
    if (values.prompt === undefined) return;
    const tokens = encodePrompt(model, values.prompt, values.chat ?? false);
    const track = (values.track ?? []).map((t) => trackedId(model, t));
    const opts = { k: num(values, 'k', 10), track, includeMid: values.mid ?? false };
    const logit = await logitLens(model, tokens, opts);
    const tunedResult = tuned ? await logitLens(model, tokens, { ...opts, tuned }) : undefined;
    const out = {
      model: model.id,
      tokens: tokens.map((id) => ({ id, text: tokenText(model, id) })),
      rows: logit.rows.map((r) => r.label),
      logitLens: describe(model, logit),
      tunedLens: tunedResult ? describe(model, tunedResult) : null,
    };
    console.log(JSON.stringify(out));
  } finally {
    tuned?.dispose();
    model.dispose();
  }
}

/** Token windows of the texts (joined by EOS), trains the lens, prints held-out KL per layer. */
export async function trainAndReport(
  model: Model,
  texts: readonly string[],
  steps: number,
): Promise<TunedLens> {
  const windows = textWindows(model, texts, 64);
  if (windows.length < 10)
    throw new UsageError('not enough text to train a tuned lens (need 10 windows of 64 tokens)');
  const split = Math.floor(windows.length * 0.8);
  const { lens } = await trainTunedLens(model, windows.slice(0, split), {
    steps,
    learningRate: 3e-3,
    onStep: (s, loss) => {
      if (s % 50 === 0 || s === steps - 1) console.error(`tuned lens step ${s}: loss ${loss.toFixed(4)}`);
    },
  });
  const heldOut = windows.slice(split);
  const plain = await lensKlByLayer(model, heldOut);
  const trained = await lensKlByLayer(model, heldOut, lens);
  console.error(`held-out KL(final ‖ lens) per layer, logit lens: ${fmt(plain)}`);
  console.error(`held-out KL(final ‖ lens) per layer, tuned lens: ${fmt(trained)}`);
  return lens;
}

/** Texts tokenized and joined by the end-of-text token, cut into windows of `length` tokens. */
export function textWindows(model: Model, texts: readonly string[], length: number): number[][] {
  const tok = model.tokenizer;
  if (!tok) throw new UsageError('training a tuned lens on text needs a model with tokenizer.json');
  const eos = model.spec.eosTokenIds[0];
  const stream = texts.flatMap((t) => [
    ...tok.encode(t, { addSpecialTokens: false }),
    ...(eos === undefined ? [] : [eos]),
  ]);
  const out: number[][] = [];
  for (let i = 0; i + length <= stream.length; i += length) out.push(stream.slice(i, i + length));
  return out;
}

/** A .jsonl file of {"text": ...} lines, a JSON dataset ({items: [{text}]}) or plain text. */
function readTexts(file: string): string[] {
  const raw = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl'))
    return raw
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { text: string }).text);
  if (file.endsWith('.json'))
    return (JSON.parse(raw) as { items: { text: string }[] }).items.map((i) => i.text);
  return raw.split(/\n\s*\n/);
}

function trackedId(model: Model, t: string): number {
  if (/^\d+$/.test(t)) return Number(t);
  const ids = model.tokenizer?.encode(t, { addSpecialTokens: false }) ?? [];
  if (ids.length !== 1)
    throw new UsageError(`--track "${t}" is ${ids.length} tokens; give one token or its id`);
  return ids[0]!;
}

function tokenText(model: Model, id: number): string {
  return model.tokenizer ? model.tokenizer.decode([id]) : String(id);
}

/** Nested arrays [row][position] for plotting, with top tokens as {id, text, p}. */
function describe(model: Model, r: LensResult) {
  const R = r.rows.length;
  const P = r.positions;
  const T = r.tracked.length;
  const grid = <V>(f: (row: number, pos: number) => V) =>
    Array.from({ length: R }, (_, i) => Array.from({ length: P }, (_, t) => f(i, t)));
  const round = (x: number) => Number(x.toPrecision(4));
  return {
    top: grid((i, t) =>
      Array.from({ length: r.k }, (_, j) => {
        const at = (i * P + t) * r.k + j;
        return { id: r.topIds[at]!, text: tokenText(model, r.topIds[at]!), p: round(r.topProbs[at]!) };
      }),
    ),
    entropy: grid((i, t) => round(r.entropy[i * P + t]!)),
    kl: grid((i, t) => round(r.kl[i * P + t]!)),
    tracked: r.tracked.map((id, j) => ({
      id,
      text: tokenText(model, id),
      prob: grid((i, t) => round(r.trackedProbs[(i * P + t) * T + j]!)),
      rank: grid((i, t) => r.trackedRanks[(i * P + t) * T + j]!),
    })),
  };
}

function fmt(a: Float32Array): string {
  return [...a].map((x) => x.toFixed(3)).join(' ');
}
