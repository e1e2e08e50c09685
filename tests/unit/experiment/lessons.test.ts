import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, ExperimentSchema, encode, presetPairs, VIEW_TABS } from '../../../src/experiment';
import {
  INTROSPECTION_STRENGTH,
  LESSON_CAPITALS,
  LESSON_DATASETS,
  LESSON_ORGANISM,
  LESSONS,
  type LessonDatasets,
  lessonById,
  lessonExperiment,
  lessonIclQuery,
  lessonRequest,
  REFUSAL_OPENINGS,
  SENTIMENT_WORDS,
} from '../../../src/experiment/lessons';
import { INTROSPECTION_QUESTION } from '../../../src/interp/introspection-question';

const REPO = resolve(import.meta.dirname, '../../..');
const ORGANISMS = ['organism-llama', 'organism-gpt2'] as const;
const read = (path: string) => readFileSync(resolve(REPO, path), 'utf8');
const dataset = (organism: string, file: string) => JSON.parse(read(`models/${organism}/datasets/${file}`));
const instructions = (organism: string, file: string): string[] =>
  dataset(organism, file).items.map((i: { instruction: string }) => i.instruction);
/** What the page fetches for the lessons, read from disk. */
const datasets = (organism: string): LessonDatasets =>
  Object.fromEntries(LESSON_DATASETS.map((f) => [f, dataset(organism, f)])) as LessonDatasets;
const DATA = datasets(LESSON_ORGANISM);
const layersOf = (organism: string): number => {
  const c = JSON.parse(read(`models/${organism}/config.json`));
  return c.num_hidden_layers ?? c.n_layer;
};

describe('lessons', () => {
  it('offers at least five lessons with distinct ids, each found by its id', () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(5);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const l of LESSONS) expect(lessonById(l.id)).toBe(l);
    expect(lessonById('no-such-lesson')).toBeUndefined();
  });

  it('covers the lens, a sentiment vector, the refusal direction, the gate head and steerable-not-decodable', () => {
    const kinds = LESSONS.map((l) => l.check.kind);
    for (const k of [
      'lens-first-layer',
      'weakest-layer',
      'refusal-verdict',
      'gate-head',
      'vector-lens-sentiment',
      'fv-readout',
    ])
      expect(kinds).toContain(k);
  });

  it.each(LESSONS.map((l) => [l.id, l] as const))(
    '%s: its experiment passes the schema as it stands',
    (_, l) => {
      const input = l.experiment(DATA);
      const parsed = ExperimentSchema.safeParse(input);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      // The view tab is set on purpose, not left to the default.
      expect(VIEW_TABS).toContain(input.view?.tab);
      expect(input.view?.tab).toBe(l.tab);
      expect(input.model).toEqual({ kind: 'shipped', name: LESSON_ORGANISM });
      expect(lessonExperiment(l, DATA)).toEqual(parsed.data);
    },
  );

  it("makes the same experiments from either organism's datasets", () => {
    const other = datasets('organism-gpt2');
    for (const l of LESSONS) expect(lessonExperiment(l, other)).toEqual(lessonExperiment(l, DATA));
  });

  it('says which request set is empty instead of making a lesson without a prompt', () => {
    expect(() => lessonRequest({ items: [] }, 'theft')).toThrow(/no requests/);
    expect(lessonRequest({ items: [{ category: 'fraud', instruction: 'x' }] }, 'theft')).toBe('x');
  });

  it.each(LESSONS.map((l) => [l.id, l] as const))(
    '%s: its experiment round-trips through a link',
    async (_, l) => {
      const exp = lessonExperiment(l, DATA);
      const hash = await encode(exp);
      expect(hash).toMatch(/^e1\./);
      expect(await decode(`#${hash}`)).toEqual(exp);
    },
  );

  it.each(LESSONS.map((l) => [l.id, l] as const))(
    '%s: reads as steps, a question and a way to answer',
    (_, l) => {
      expect(l.steps.length).toBeGreaterThanOrEqual(3);
      for (const s of l.steps) {
        expect(s).toMatch(/^[A-Z"'].*[.?!]$/);
        expect(s.length).toBeLessThanOrEqual(140);
      }
      expect(l.question).toMatch(/\?$/);
      expect(l.answerHint).not.toBe('');
      expect(l.takeaway.length).toBeGreaterThan(40);
      expect(l.uses.length).toBeGreaterThan(0);
      if (l.choices) expect(l.choices.length).toBeGreaterThanOrEqual(2);
    },
  );

  it('asks only for layers that every shipped organism has', () => {
    const fewest = Math.min(...ORGANISMS.map(layersOf));
    for (const l of LESSONS)
      for (const layer of lessonExperiment(l, DATA).steering.layers) expect(layer).toBeLessThan(fewest);
  });

  it("takes the sentiment lessons' pairs from the shipped sentiment preset", () => {
    const preset = presetPairs('sentiment', [dataset(LESSON_ORGANISM, 'sentiment_pairs.json')]);
    expect(preset.length).toBeGreaterThan(4);
    const withPairs = LESSONS.filter((l) => lessonExperiment(l, DATA).steering.pairs.length > 0);
    expect(withPairs.map((l) => l.check.kind).sort()).toEqual([
      'introspection-yes',
      'vector-lens-sentiment',
      'weakest-layer',
    ]);
    for (const l of withPairs) {
      expect(lessonExperiment(l, DATA).steering.pairs).toEqual(preset);
      expect(lessonExperiment(l, DATA).steering.preset).toBe('sentiment');
    }
  });

  it('asks the refusal questions about requests from the shipped harmful and harmless sets', () => {
    for (const organism of ORGANISMS) {
      const harmful = instructions(organism, 'harmful.json');
      const harmless = instructions(organism, 'harmless.json');
      for (const l of LESSONS) {
        const { prompt } = lessonExperiment(l, datasets(organism));
        if (
          l.check.kind === 'gate-head' ||
          (l.check.kind === 'refusal-verdict' && l.check.needs === 'ablate')
        )
          expect(harmful).toContain(prompt.text);
        if (l.check.kind === 'refusal-verdict' && l.check.needs === 'add')
          expect(harmless).toContain(prompt.text);
        if (l.check.kind === 'refusal-verdict' || l.check.kind === 'gate-head')
          expect(prompt.chat).toBe(true);
      }
    }
  });

  it("uses the generated world's capitals, in the few-shot format the organisms learnt", () => {
    for (const organism of ORGANISMS) {
      const icl = dataset(organism, 'icl_tasks.json');
      const world = new Map<string, string>(icl.tasks.country_capital.pairs);
      for (const [country, capital] of LESSON_CAPITALS) expect(world.get(country)).toBe(capital);
      const lens = LESSONS.find((l) => l.check.kind === 'lens-first-layer')!;
      const [last] = LESSON_CAPITALS.slice(-1);
      expect(lens.check).toMatchObject({ country: last![0], capital: last![1] });
      // "{input} -> {output}" joined by ", ", then "{input} ->".
      const { pair, separator, query } = icl.format;
      const shots = LESSON_CAPITALS.slice(0, -1).map(([i, o]) =>
        pair.replace('{input}', i).replace('{output}', o),
      );
      expect(lessonExperiment(lens, DATA).prompt.text).toBe(
        `${shots.join(separator)}${separator}${query.replace('{input}', last![0])}`,
      );
    }
  });

  it("asks the function vector lesson on a held-out bare query of its task, with that task's view open", async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'fv-readout')!;
    const icl = dataset(LESSON_ORGANISM, 'icl_tasks.json');
    const task = (lesson.check as { task: string }).task;
    const items = icl.items.filter((i: { task: string }) => i.task === task);
    const heldOut = items.slice(Math.floor(items.length / 2));
    const exp = lessonExperiment(lesson, DATA);
    expect(exp.prompt.text).toBe(`${heldOut[0].query} ->`);
    expect(items.slice(0, Math.floor(items.length / 2)).map((i: { query: string }) => i.query)).not.toContain(
      heldOut[0].query,
    );
    expect(exp.view).toMatchObject({ tab: 'fv', fv: { task } });
    expect(() => lessonIclQuery({ items: [] }, task)).toThrow(/no "past_tense" items/);
  });

  it("asks the introspection lesson §18's question in the chat template, the vector at resid_post ⌊L/2⌋, nothing injected yet", () => {
    const lesson = lessonById('introspection')!;
    const exp = lessonExperiment(lesson, DATA);
    expect(exp.prompt).toEqual({ text: INTROSPECTION_QUESTION, chat: true });
    expect(exp.steering).toMatchObject({
      hook: 'resid_post',
      layers: [Math.floor(layersOf(LESSON_ORGANISM) / 2)],
      coefficient: 0,
      unit: 'raw',
    });
    expect(exp.generation.temperature).toBe(0);
    expect(lesson.steps.join(' ')).toContain(`slider to ${INTROSPECTION_STRENGTH}`);
    expect(lesson.choices).toEqual(['yes', 'no']);
  });

  it('knows the openings a refusal starts with from the corpus generator', () => {
    const chat = read('training/organisms/chat.py');
    const tuple = /REFUSAL_PREFIXES = \(([^)]*)\)/.exec(chat)?.[1] ?? '';
    const prefixes = [...tuple.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect(prefixes.length).toBeGreaterThan(0);
    expect([...REFUSAL_OPENINGS].sort()).toEqual(prefixes.sort());
  });

  it("knows the stories' feeling words from the corpus generator", () => {
    const stories = read('training/organisms/stories.py');
    for (const side of ['positive', 'negative'] as const) {
      const words = new RegExp(`"${side}": "([a-z ]+)"\\.split\\(\\)`).exec(stories)?.[1]?.split(' ') ?? [];
      expect(words.length).toBeGreaterThan(3);
      for (const w of words) expect(SENTIMENT_WORDS[side]).toContain(w);
    }
  });
});
