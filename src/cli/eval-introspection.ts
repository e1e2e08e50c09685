/**
 * `npm run eval:introspection [organism dirs]`: the introspection lesson's figures (METHODS.md §18)
 * on each organism, with the lesson's own vector (its experiment's pairs, hook and layer): P(the
 * reply to §18's question starts "yes") with no injection, the concept and random vectors of its
 * norm; and over N = 6 questions × 4 seeds sampled replies per condition, how often the reply names
 * a sentiment word of the injected side, against no injection and random vectors.
 */
import './relaxed-simd'; // first: before the engine loads
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  LESSON_DATASETS,
  type LessonDatasets,
  lessonById,
  lessonExperiment,
  SENTIMENT_WORDS,
} from '../experiment/lessons';
import {
  buildContrastVector,
  conceptNaming,
  INTROSPECTION_QUESTIONS,
  introspectionProbe,
  NEUTRAL_TEXTS,
  typicalNorms,
} from '../interp';
import { organismDirs, withOrganism } from './eval-organisms';

/** The strengths measured: the lesson's (16) and half of it, both signs. */
const COEFFICIENTS = [8, 16, -8, -16];
/**
 * Stock phrases of the organisms' helpful replies that hold a sentiment word but name no feeling
 * (training/organisms/chat.py: openers, offers, the steps' advice).
 */
const STOCK = ['Happy to help', 'glad to help', 'Great question', 'short lessons are best'];

async function lessonData(dir: string): Promise<LessonDatasets> {
  const entries = await Promise.all(
    LESSON_DATASETS.map(
      async (f) => [f, JSON.parse(await readFile(join(dir, 'datasets', f), 'utf8'))] as const,
    ),
  );
  return Object.fromEntries(entries) as LessonDatasets;
}

const pct = (named: number, n: number) => `${named}/${n} (${((100 * named) / Math.max(1, n)).toFixed(0)}%)`;

async function evaluate(dir: string): Promise<void> {
  const exp = lessonExperiment(lessonById('introspection')!, await lessonData(dir));
  const { pairs, hook, layers, position, method } = exp.steering;
  const layer = layers[0]!;
  await withOrganism(dir, async (model) => {
    const started = Date.now();
    const vector = await buildContrastVector(model, { pairs, hook, layers: [layer], position, method });
    const norm = Math.hypot(...vector.layers[layer]!);
    const typical = (await typicalNorms(model, NEUTRAL_TEXTS, hook))[layer]!;
    const probe = await introspectionProbe(model, { vector, layer, coefficients: COEFFICIENTS });
    const naming = await conceptNaming(model, {
      vector,
      layer,
      questions: INTROSPECTION_QUESTIONS,
      coefficients: COEFFICIENTS,
      words: SENTIMENT_WORDS,
      ignore: STOCK,
    });
    const name = dir.split('/').pop()!;
    console.log(
      `\n${name}: sentiment vector from ${pairs.length} pairs at ${hook} ${layer}, ‖v‖ ${norm.toFixed(2)}, typical norm ${typical.toFixed(2)}`,
    );
    console.log(
      `  P(reply starts "yes") to §18's question, none: ${probe.none.pYes.toFixed(4)} ("${probe.none.reply}")`,
    );
    console.log('  coefficient  ×norm  P(yes) concept  P(yes) random  named: none  concept  random');
    for (const [i, c] of COEFFICIENTS.entries()) {
      const row = naming[i]!;
      console.log(
        `  ${String(c).padStart(11)}  ${((Math.abs(c) * norm) / typical).toFixed(2).padStart(5)}  ${probe.concept[i]!.pYes.toFixed(4).padStart(14)}  ${probe.random[i]!.pYes.toFixed(4).padStart(13)}  ` +
          `${pct(row.none.named, row.none.n).padStart(11)}  ${pct(row.concept.named, row.concept.n)}  ${pct(row.random.named, row.random.n)}  (${row.side} words)`,
      );
      console.log(`      concept reply to §18's question: ${JSON.stringify(probe.concept[i]!.reply)}`);
      console.log(`      concept replies (seed 1): ${JSON.stringify(row.concept.examples.slice(1, 4))}`);
      console.log(`      named without injection: ${JSON.stringify(row.none.namedReplies.slice(0, 3))}`);
    }
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s on ${tf.getBackend()})`);
  });
}

if (process.argv[1]?.endsWith('eval-introspection.ts')) {
  await tf.setBackend('wasm');
  const named = process.argv.slice(2);
  for (const dir of named.length > 0 ? named : organismDirs()) await evaluate(dir);
}
