/**
 * `npm run eval:circuits`: for each model organism in models/, the refusal circuit (gate and
 * amplifier heads, found on half of the held-out requests), what knocking the gates out does on the
 * other half, and the lens figures (held-out KL of the logit lens and the tuned lens per layer),
 * with timings on the WebAssembly backend. A tuned lens missing from a model folder is trained on
 * the organism's validation text and saved beside the model.
 *   npm run eval:circuits [-- --organism organism-llama | --model <folder>] [--retrain-tuned] [--no-lens]
 */
import './relaxed-simd'; // first: before the engine loads
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { dirSource, loadModel, type Model, selectBackend } from '../engine/node';
// Not on interp's public face yet (its author owns index.ts's steering part).
import {
  ablateGates,
  comparePatching,
  lensKlByLayer,
  loadTunedLens,
  logitLens,
  patchSweep,
  readOrganismData,
  refusalByLayer,
  refusalCircuit,
  replyStartTokens,
  splitByItem,
  TUNED_LENS_FILE,
  type TunedLens,
  tunedLensToSafetensors,
} from '../interp';
import { encodePrompt } from './common';
import { textWindows, trainAndReport } from './lens';

const MODELS = resolve(import.meta.dirname, '../../models');

async function evaluate(dir: string, retrain: boolean, lens: boolean): Promise<void> {
  const name = basename(dir);
  const source = dirSource(dir);
  const model = await loadModel(source);
  const { spec } = model;
  console.log(
    `\n== ${name}: ${spec.modelType}, ${spec.nLayers} layers × ${spec.nHeads} heads, d_model ${spec.dModel}`,
  );
  const data = await readOrganismData(source);
  try {
    await circuitFigures(model, data);
    if (lens) await lensFigures(model, dir, data.validation.length ? data.validation : corpusText(), retrain);
  } finally {
    model.dispose();
  }
}

async function circuitFigures(
  model: Model,
  data: Awaited<ReturnType<typeof readOrganismData>>,
): Promise<void> {
  const [findH, testH] = splitByItem(data.harmful);
  const [findN, testN] = splitByItem(data.harmless);
  const chat = (rs: readonly { instruction: string }[]) =>
    rs.map((r) => encodePrompt(model, r.instruction, true));
  const [harmful, harmless, heldHarmful, heldHarmless] = [chat(findH), chat(findN), chat(testH), chat(testN)];
  const tokens = await replyStartTokens(model, harmful, harmless);
  const text = (ids: number[]) => ids.map((id) => JSON.stringify(model.tokenizer!.decode([id]))).join(' ');
  console.log(`refusal starts with ${text(tokens.refuse)}; answers start with ${text(tokens.comply)}`);

  const t0 = performance.now();
  const circuit = await refusalCircuit(model, harmful, harmless, { ...tokens });
  const circuitMs = performance.now() - t0;
  console.log(
    `refuse − comply logit difference: harmful ${circuit.harmful.toFixed(2)}, harmless ${circuit.harmless.toFixed(2)}`,
  );
  console.log('head       role              causal   direct  indirect  necessity  sufficiency');
  const named = circuit.heads.filter((h) => h.role).sort((a, b) => b.causal - a.causal);
  for (const h of named)
    console.log(
      `${h.id.padEnd(10)} ${String(h.role).padEnd(15)} ${f(h.causal)}  ${f(h.direct)} ${f(h.indirect)}    ${f(h.necessity)}      ${f(h.sufficiency)}`,
    );
  console.log(`gates (by causal effect under interchange): ${circuit.gates.join(', ')}`);
  console.log(`amplifiers (by direct effect): ${circuit.amplifiers.join(', ')}`);
  const cascade = circuit.edges.filter((e) => e.kind === 'cascade').sort((a, b) => a.weight - b.weight);
  console.log(
    `cascade (knock out gate → change of DLA delta): ${cascade
      .slice(0, 8)
      .map((e) => `${e.source}→${e.target} ${e.weight.toFixed(2)}`)
      .join(', ')}`,
  );

  const byLayer = await refusalByLayer(model, harmful, harmless);
  console.log(
    `refusal direction separation per layer (d'): ${[...byLayer.separation].map((x) => x.toFixed(1)).join(' ')}`,
  );

  for (const ablation of ['mean', 'zero'] as const) {
    const gates = circuit.gates.map((id) => circuit.heads.find((h) => h.id === id)!);
    const r = await ablateGates(model, gates, heldHarmful, heldHarmless, { ablation, refuse: tokens.refuse });
    console.log(
      `${ablation}-ablating ${r.gates.join('+')} on held-out prompts: harmful refusal ${pct(r.refusalBefore)} → ${pct(r.refusalAfter)}, ` +
        `P(refusal token) ${r.refusalProbBefore.toFixed(2)} → ${r.refusalProbAfter.toFixed(2)}, harmless refusal ` +
        `${pct(r.harmlessRefusalBefore)} → ${pct(r.harmlessRefusalAfter)}, harmless KL ${r.harmlessKl.toFixed(3)}`,
    );
    for (const s of r.sampleReplies.slice(0, 2))
      console.log(`   ${JSON.stringify(s.before)} → ${JSON.stringify(s.after)}`);
  }

  const pair = { source: harmless[0]!, target: harmful[0]! };
  const metric = { kind: 'logit-diff' as const, target: tokens.refuse, baseline: tokens.comply };
  const sweepMs = await time(() => patchSweep(model, pair, { kind: 'heads', positions: 'last' }, metric));
  // Patching every position needs a harmful and a harmless prompt of one length.
  const same = harmful.flatMap((h) =>
    harmless.filter((n) => n.length === h.length).map((n) => ({ source: n, target: h })),
  )[0];
  const sweepAllMs = same ? await time(() => patchSweep(model, same, { kind: 'heads' }, metric)) : undefined;
  console.log(
    `timing (wasm): head-patching sweep ${sweepMs.toFixed(0)} ms (last position)` +
      `${sweepAllMs === undefined ? '' : `, ${sweepAllMs.toFixed(0)} ms (all positions)`}; full circuit ${(circuitMs / 1000).toFixed(1)} s`,
  );
  const r = (x: number) => x.toFixed(3);
  const heads = await comparePatching(model, pair, { kind: 'heads', positions: 'last' }, metric);
  let line = `attribution vs exact patching (correlation over cells): heads at the last position ${r(heads.correlation)}`;
  if (same) {
    const all = await comparePatching(model, same, { kind: 'heads' }, metric);
    const resid = await comparePatching(model, same, { kind: 'point', point: 'resid_pre' }, metric);
    line += `, heads at all positions ${r(all.correlation)}, resid_pre × position ${r(resid.correlation)}`;
  }
  console.log(line);
}

async function lensFigures(
  model: Model,
  dir: string,
  texts: readonly string[],
  retrain: boolean,
): Promise<void> {
  let tuned: TunedLens | undefined = retrain ? undefined : await loadTunedLens(dirSource(dir), model.spec);
  try {
    if (!tuned) {
      console.log(`training a tuned lens on ${texts.length} validation texts…`);
      tuned = await trainAndReport(model, texts, 300);
      writeFileSync(join(dir, TUNED_LENS_FILE), await tunedLensToSafetensors(tuned, model.id));
      console.log(`saved ${join(dir, TUNED_LENS_FILE)}`);
    }
    const windows = textWindows(model, texts, 64);
    const heldOut = windows.slice(Math.floor(windows.length * 0.8));
    const plain = await lensKlByLayer(model, heldOut);
    const trained = await lensKlByLayer(model, heldOut, tuned);
    const labels = ['embed', ...Array.from({ length: model.spec.nLayers - 1 }, (_, l) => `post ${l}`)];
    console.log(`lens KL(final ‖ lens) on ${heldOut.length} held-out windows of 64 tokens, nats:`);
    console.log(`  layer      ${labels.map((l) => l.padStart(7)).join('')}`);
    console.log(`  logit lens ${[...plain].map((x) => x.toFixed(3).padStart(7)).join('')}`);
    console.log(`  tuned lens ${[...trained].map((x) => x.toFixed(3).padStart(7)).join('')}`);
    const prompt = windows[0]!;
    const lensMs = await time(() => logitLens(model, prompt, { k: 10 }), 5);
    console.log(`timing (wasm): full logit lens of a 64-token prompt ${lensMs.toFixed(1)} ms (median of 5)`);
  } finally {
    tuned?.dispose();
  }
}

/** The organisms' held-out corpus text, for a model folder that ships no validation set. */
function corpusText(): string[] {
  const file = resolve(import.meta.dirname, '../../training/out/corpus/val.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { text: string }).text);
}

/** Median wall time of `runs` calls, after one warm-up call. */
async function time(fn: () => Promise<unknown>, runs = 1): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const f = (x: number) => x.toFixed(2).padStart(7);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

const { values } = parseArgs({
  options: {
    organism: { type: 'string' },
    model: { type: 'string' },
    'retrain-tuned': { type: 'boolean' },
    'no-lens': { type: 'boolean' },
  },
});
await selectBackend({ prefer: 'wasm' });
console.log(`backend ${tf.getBackend()}`);
const names = existsSync(MODELS) ? readdirSync(MODELS).filter((d) => d.startsWith('organism-')) : [];
const dirs = values.model
  ? [resolve(values.model)]
  : names
      .sort()
      .filter((n) => !values.organism || n === values.organism)
      .map((n) => join(MODELS, n));
if (!dirs.length) console.log('no model organisms in models/ yet');
for (const dir of dirs) await evaluate(dir, values['retrain-tuned'] ?? false, !values['no-lens']);
