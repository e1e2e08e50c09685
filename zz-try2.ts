import * as tf from '@tensorflow/tfjs-core';
import { dirSource, loadModel, selectBackend, type Hooks } from './src/engine/node';
import { lastTokenKl, measure, refusalProbability } from './src/interp';
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
const [findH, testH] = splitByItem(data.harmful);
const [findN, testN] = splitByItem(data.harmless);
const chat = (rs: readonly { instruction: string }[]) => rs.map((r) => chatPrompt(model, r.instruction));
const Hp = chat(testH), N = chat(testN);
const refuse = [model.tokenizer!.encode('I', { addSpecialTokens: false })[0]!, model.tokenizer!.encode('Sorry', { addSpecialTokens: false })[0]!];
const zh = Array.from({ length: model.spec.nLayers }, (_, l) => `blocks.${l}.attn.hook_z` as const);
const mean = (rows: Float32Array[]) => { const m = new Float32Array(rows[0]!.length); for (const r of rows) r.forEach((x, i) => { m[i]! += x / rows.length; }); return m; };
const a = collectActivations(model, chat(findH), zh, { kind: 'last' });
const b = collectActivations(model, chat(findN), zh, { kind: 'last' });
function hooks(lastOnly: boolean): Hooks {
  const out: Hooks = {};
  for (const l of new Set(gates.map(([x]) => x))) {
    const ma = mean(a.get(zh[l]!)!), mb = mean(b.get(zh[l]!)!);
    const U = new Float32Array(H * D); const lvl = new Float32Array(H);
    for (const [gl, gh] of gates) if (gl === l) {
      let n = 0; for (let i = 0; i < D; i++) n += (ma[gh * D + i]! - mb[gh * D + i]!) ** 2; n = Math.sqrt(n);
      for (let i = 0; i < D; i++) U[gh * D + i] = (ma[gh * D + i]! - mb[gh * D + i]!) / n;
      for (let i = 0; i < D; i++) lvl[gh]! += mb[gh * D + i]! * U[gh * D + i]!;
    }
    out[`blocks.${l}.attn.hook_z`] = (z) => {
      const u = tf.tensor4d(U, [1, 1, H, D]);
      const g = tf.sub(z, tf.mul(tf.sub(tf.sum(tf.mul(z, u), -1, true), tf.tensor4d(lvl, [1, 1, H, 1])), u));
      if (!lastOnly) return g;
      const T = z.shape[1]!;
      return tf.concat([tf.slice(z, [0, 0], [-1, T - 1]), tf.slice(g, [0, T - 1], [-1, 1])], 1);
    };
  }
  return out;
}
const s0 = await measure(model, Hp, { kind: 'refusal-score', refusal: refuse });
const p = (x: Float32Array) => (x.reduce((s, y) => s + refusalProbability(y), 0) / x.length).toFixed(2);
for (const last of [false, true]) {
  const h = hooks(last);
  const kl = await lastTokenKl(model, N, h);
  const s = await measure(model, Hp, { kind: 'refusal-score', refusal: refuse }, { hooks: h });
  console.log(last ? 'last-pos' : 'all-pos', 'direction KL', kl.mean.toFixed(3), 'P(R)', p(s0), '->', p(s));
}
