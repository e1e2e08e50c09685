/**
 * `npm run eval:steering`: issue 4's figures on each model organism — the refusal direction found,
 * ablated and added, and the sentiment coefficient sweep.
 */
import './relaxed-simd'; // first: before the engine loads
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { evaluateSteering, type SteeringFigures } from '../interp';
import { organismDirs, withOrganism } from './eval-organisms';
import { evaluatePresets, type PresetFigure } from './eval-presets';

/** Issue 4's targets. */
export const STEERING_TARGETS = {
  harmfulAblated: 0.1,
  harmlessKl: 0.1,
  harmlessAdded: 0.8,
  sentimentShare: 0.8,
} as const;

export function evaluateSteeringDir(dir: string): Promise<SteeringFigures> {
  return withOrganism(dir, evaluateSteering);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function report(name: string, f: SteeringFigures): void {
  const r = f.refusal;
  const t = STEERING_TARGETS;
  const mark = (ok: boolean) => (ok ? 'ok ' : 'MISS');
  console.log(`\n${name}`);
  if (r.chosen)
    console.log(
      `  refusal direction${r.fallback ? ` (FALLBACK: every candidate was dropped; this is the best dropped one, failing ${r.chosen.dropped.join(' and ')})` : ''}: ` +
        `resid_pre layer ${r.chosen.layer}, position ${r.chosen.position} ` +
        `(bypass ${r.chosen.bypass.toFixed(2)}, induce ${r.chosen.induce.toFixed(2)}, KL ${r.chosen.kl.toFixed(3)}; ` +
        `${r.kept} of ${r.candidates} candidates kept)`,
    );
  else console.log(`  refusal direction: every one of ${r.candidates} candidates was dropped by the filters`);
  console.log(
    `  ${mark(r.harmfulAblated <= t.harmfulAblated)} refusal on held-out harmful, direction ablated: ${pct(r.harmfulAblated)} (baseline ${pct(r.harmfulBaseline)}; target <= 10%)`,
  );
  console.log(
    `  ${mark(r.harmlessKlAblated < t.harmlessKl)} KL on harmless prompts, direction ablated: ${r.harmlessKlAblated.toFixed(4)} (target < 0.1)`,
  );
  console.log(
    `  ${mark(r.harmlessAdded >= t.harmlessAdded)} refusal on held-out harmless, direction added: ${pct(r.harmlessAdded)} (baseline ${pct(r.harmlessBaseline)}; target >= 80%)`,
  );
  console.log(
    `  sentiment vector from ${f.sentimentPairs} pairs (resid_pre, mean over the prompt), continuations judged positive / negative:`,
  );
  console.log('    layer  coefficient  positive  negative');
  for (const row of f.sweep)
    console.log(
      `    ${String(row.layer).padStart(5)}  ${String(row.coefficient).padStart(11)}  ${pct(row.positive).padStart(8)}  ${pct(row.negative).padStart(8)}`,
    );
  const bestPos = Math.max(...f.sweep.map((x) => x.positive));
  const bestNeg = Math.max(...f.sweep.map((x) => x.negative));
  console.log(
    `  ${mark(bestPos >= t.sentimentShare)} best share turned positive: ${pct(bestPos)} (target >= 80%)`,
  );
  console.log(
    `  ${mark(bestNeg >= t.sentimentShare)} best share turned negative: ${pct(bestNeg)} (target >= 80%)`,
  );
}

function reportPresets(name: string, figures: readonly PresetFigure[]): void {
  console.log(`\n${name}: presets at their default strength (norm units), 12 prompts x 3 seeds`);
  if (figures.length === 0) console.log('  no preset is tuned for this organism');
  for (const f of figures) {
    const ok = f.share >= STEERING_TARGETS.sentimentShare ? 'ok  ' : 'MISS';
    console.log(
      `  ${ok} ${f.preset}: layers ${f.tuning.layers.join('+')}, strength ${f.tuning.strength} (typical norm ${f.typicalNorms.map((n) => n.toFixed(2)).join(', ')}): ` +
        `${pct(f.share)} show it (unsteered ${pct(f.baseline)}; target >= 80%), perplexity x${f.perplexityRatio.toFixed(2)} ` +
        `(fluent range ${f.tuning.fluent[0]}..${f.tuning.fluent[1]})`,
    );
  }
}

if (process.argv[1]?.endsWith('eval-steering.ts')) {
  await tf.setBackend('wasm');
  const presets = process.argv.includes('--presets');
  const named = process.argv.slice(2).filter((a) => a !== '--presets');
  const dirs = named.length > 0 ? named : organismDirs();
  for (const dir of dirs) {
    if (presets) {
      reportPresets(dir.split('/').pop()!, await withOrganism(dir, (m, d) => evaluatePresets(dir, m, d)));
      continue;
    }
    const started = Date.now();
    report(dir.split('/').pop()!, await evaluateSteeringDir(dir));
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s on ${tf.getBackend()})`);
  }
}
