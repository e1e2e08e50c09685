import * as tf from '@tensorflow/tfjs-core';
import { dirSource, loadModel, selectBackend, type Hooks } from './src/engine/node';
import { headMeans, lastTokenKl, measure, refusalProbability } from './src/interp';
import { splitByItem } from './src/interp/circuit-eval';
import { readOrganismData } from './src/interp/organism-data';
import { chatPrompt } from './src/interp/behaviour';
import { collectActivations } from './src/interp/activations';

await selectBackend({ prefer: 'wasm' });
const dir = process.argv[2]!;
const gates = JSON.parse(process.argv[3]!) as [number, number][];
const model = await loadModel(dirSource(dir));
const { nHeads: H, dHead: D } = model.spec;
const data = await readOrganismData(dirSource(dir));
const [, testH] = splitByItem(data.harmful);
const [findN, testN] = splitByItem(data.harmless);
const chat = (rs: readonly { instruction: string }[]) => rs.map((r) => chatPrompt(model, r.instruction));
const Hp = chat(testH), N = chat(testN);
const refuse = [model.tokenizer!.encode('I', { addSpecialTokens: false })[0]!, model.tokenizer!.encode('Sorry', { addSpecialTokens: false })[0]!];
const zh = Array.from({ length: model.spec.nLayers }, (_, l) => `blocks.${l}.attn.hook_z` as const);
const acts = collectActivations(model, chat(findN), zh, { kind: 'last' });
const lastMeans = zh.map((h) => { const rows = acts.get(h)!; const m = new Float32Array(rows[0]!.length); for (const r of rows) r.forEach((x, i) => { m[i]! += x / rows.length; }); return m; });
const allMeans = headMeans(model, chat(findN)).z;
function hooks(means: readonly Float32Array[], lastOnly: boolean): Hooks {
  const out: Hooks = {};
  for (const l of new Set(gates.map(([a]) => a))) {
    const scale = new Float32Array(H).fill(1); const off = new Float32Array(H * D);
    for (const [gl, gh] of gates) if (gl === l) { scale[gh] = 0; off.set(means[l]!.subarray(gh * D, (gh + 1) * D), gh * D); }
    out[`blocks.${l}.attn.hook_z`] = (z) => {
      const g = tf.add(tf.mul(z, tf.tensor4d(scale, [1, 1, H, 1])), tf.tensor4d(off, [1, 1, H, D]));
      if (!lastOnly) return g;
      const T = z.shape[1]!;
      return tf.concat([tf.slice(z, [0, 0], [-1, T - 1]), tf.slice(g, [0, T - 1], [-1, 1])], 1);
    };
  }
  return out;
}
const s0 = await measure(model, Hp, { kind: 'refusal-score', refusal: refuse });
const p = (a: Float32Array) => (a.reduce((x, y) => x + refusalProbability(y), 0) / a.length).toFixed(2);
for (const [name, means, last] of [['all-pos allmean', allMeans, false], ['all-pos lastmean', lastMeans, false], ['last-pos lastmean', lastMeans, true], ['last-pos allmean', allMeans, true]] as const) {
  const h = hooks(means, last);
  const kl = await lastTokenKl(model, N, h);
  const s = await measure(model, Hp, { kind: 'refusal-score', refusal: refuse }, { hooks: h });
  console.log(name, 'KL', kl.mean.toFixed(3), 'P(R)', p(s0), '->', p(s));
}
