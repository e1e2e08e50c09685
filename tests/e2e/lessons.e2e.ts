/**
 * Lessons on the shipped organism: the index lists them; each lesson's link opens its state like
 * a share link (the model loads, the experiment in the address is the lesson's, the panel shows
 * its steps and question); answering gives feedback computed from the model; Next moves on in
 * place. Screenshots of the index and of every lesson are saved.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sourceFromArg } from '../../src/engine/node';
import { decode, type Experiment, encode } from '../../src/experiment';
import {
  INTROSPECTION_STRENGTH,
  LESSON_DATASETS,
  LESSON_ORGANISM,
  LESSON_STRENGTH,
  LESSONS,
  type Lesson,
  type LessonDatasets,
  lessonExperiment,
} from '../../src/experiment/lessons';
import { readOrganismData } from '../../src/interp';
import { sentimentJudge } from '../../src/interp/eval/steering-eval';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const ORGANISM_DIR = resolve(import.meta.dirname, `../../models/${LESSON_ORGANISM}`);
/** The datasets the page fetches for the lessons, read from disk: the experiments to expect. */
const DATA = HAS_ORGANISM
  ? (Object.fromEntries(
      LESSON_DATASETS.map((f) => [
        f,
        JSON.parse(
          readFileSync(resolve(import.meta.dirname, `../../models/${LESSON_ORGANISM}/datasets/${f}`), 'utf8'),
        ),
      ]),
    ) as LessonDatasets)
  : undefined;
const expected = (lesson: Lesson) => lessonExperiment(lesson, DATA!);
const linkOf = async (lesson: Lesson) => `${app()}/?lesson=${lesson.id}#${await encode(expected(lesson))}`;
const TAB_LABELS = {
  lens: 'Logit lens',
  heads: 'Head gates',
  refusal: 'Refusal circuit',
  methods: 'Methods',
  fv: 'Function vectors',
  sae: 'Sparse autoencoder',
} as const;

async function experimentIn(page: Page): Promise<Experiment> {
  const exp = await decode(new URL(page.url()).hash);
  if (!exp) throw new Error(`the address holds no experiment: ${page.url()}`);
  return exp;
}

/** Types (or clicks) an answer and waits for a verdict other than "checking". */
async function answer(
  page: Page,
  lesson: Lesson,
  text: string,
): Promise<{ verdict: string; message: string }> {
  const feedback = page.getByTestId('lesson-feedback');
  if (lesson.choices) {
    await page.getByTestId('lesson-panel').getByRole('button', { name: text, exact: true }).click();
  } else {
    await page.getByTestId('lesson-answer').fill(text);
    await page.getByTestId('lesson-panel').getByRole('button', { name: 'Check' }).click();
  }
  await page.waitForFunction(
    () => {
      const v = document.querySelector('[data-testid=lesson-feedback]')?.getAttribute('data-verdict');
      return v && v !== 'checking';
    },
    undefined,
    { timeout: 120_000 },
  );
  return {
    verdict: (await feedback.getAttribute('data-verdict')) ?? '',
    message: (await feedback.textContent()) ?? '',
  };
}

/** Drags the strength slider to `value` as a student would, and waits for both sides at it. */
async function slideTo(page: Page, value: number): Promise<{ baseline: string; steered: string }> {
  await page.getByRole('slider', { name: 'Strength' }).fill(String(value));
  expect(Number(await page.getByTestId('coefficient').textContent())).toBe(value);
  return waitForBoth(page);
}

/** Answers a layer question with every row of the model until one the model lacks. */
async function layerAnswers(page: Page, lesson: Lesson, withEmbed: boolean) {
  const results: { answer: string; verdict: string; message: string }[] = [];
  for (const a of [...(withEmbed ? ['embed'] : []), ...Array.from({ length: 64 }, (_, i) => String(i))]) {
    const r = await answer(page, lesson, a);
    if (r.verdict === 'unreadable') break;
    results.push({ answer: a, ...r });
  }
  return results;
}

describe.skipIf(!HAS_ORGANISM)('lessons', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  async function open(lesson: Lesson): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    // What the index links to (the first test checks that the index gives exactly this).
    await page.goto(await linkOf(lesson));
    await waitForModel(page, /organism-llama/);
    await page.getByTestId('lesson-panel').waitFor();
    return { page, errors: watch.errors, close: () => context.close() };
  }

  it('lists at least five lessons on the index, each with a link that holds its experiment', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/?lessons`);
    await page.getByTestId('lesson-index').waitFor();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid=lesson-link]')].every((a) =>
          a.getAttribute('href')?.includes('#e1.'),
        ),
      undefined,
      { timeout: 30_000 },
    );
    const found = await page
      .getByTestId('lesson-link')
      .evaluateAll((as) =>
        as.map((a) => [a.getAttribute('data-lesson') ?? '', (a as HTMLAnchorElement).href] as const),
      );
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.map(([id]) => id)).toEqual(LESSONS.map((l) => l.id));
    for (const [id, href] of found) {
      const lesson = LESSONS.find((l) => l.id === id)!;
      // Same address; the hash is compared decoded (the browser's deflate need not match Node's bytes).
      expect(href.split('#')[0]).toBe((await linkOf(lesson)).split('#')[0]);
      expect(await decode(new URL(href).hash)).toEqual(expected(lesson));
    }
    await screenshot(page, 'lessons-index');
    // The index's own "Lessons" entry point works from the plain page too.
    await page.goto(`${app()}/`);
    // In the top bar (where the page places it once the bar is there).
    await page.locator('.topbar [data-testid=lessons-link]').click();
    await page.getByTestId('lesson-index').waitFor();
    expect(new URL(page.url()).searchParams.has('lessons')).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByTestId('lesson-index').waitFor({ state: 'detached' });
    expect(new URL(page.url()).searchParams.has('lessons')).toBe(false);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it.each(LESSONS.map((l) => [l.id, l] as const))(
    '%s: its link opens its state and its narrative',
    async (id, lesson) => {
      const { page, errors, close } = await open(lesson);
      const want = expected(lesson);
      const panel = page.getByTestId('lesson-panel');
      expect(await panel.getAttribute('data-lesson')).toBe(id);
      expect(await panel.getByRole('heading', { level: 2 }).textContent()).toBe(lesson.title);
      expect(await page.getByTestId('lesson-steps').locator('li').allTextContents()).toEqual([
        ...lesson.steps,
      ]);
      expect(await page.getByTestId('lesson-question').textContent()).toBe(lesson.question);

      const got = await experimentIn(page);
      expect(got.prompt).toEqual(want.prompt);
      expect(got.steering.pairs).toEqual(want.steering.pairs);
      expect(got.steering.layers).toEqual(want.steering.layers);
      expect(got.view.tab).toBe(want.view.tab);
      expect(got.view).toMatchObject(lesson.experiment(DATA!).view ?? {});
      expect(got.interventions).toEqual(want.interventions);
      expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe(want.prompt.text);
      expect(await page.getByRole('tab', { selected: true }).textContent()).toBe(TAB_LABELS[want.view.tab]);
      expect(await page.locator('[data-testid=pairs-editor] li').count()).toBe(want.steering.pairs.length);
      if (want.steering.pairs.length > 0) await waitForVector(page);
      await screenshot(page, `lesson-${id}`);
      expect(errors).toEqual([]);
      await close();
    },
  );

  // The steps that promise an effect, done as written: the slider to +8 turns the story cheerful,
  // to −8 gloomy, judged by the organism's own sentiment judge (the labelled stories beside it).
  it.each(
    LESSONS.filter((l) => l.steps.some((s) => s.includes(`slider to ${LESSON_STRENGTH}`))).map(
      (l) => [l.id, l] as const,
    ),
  )(
    '%s: following its slider steps turns the story cheerful (and gloomy at the minus)',
    async (_, lesson) => {
      const judge = sentimentJudge(await readOrganismData(sourceFromArg(ORGANISM_DIR)));
      const { page, errors, close } = await open(lesson);
      await waitForVector(page);
      const promisesGloomy = lesson.steps.some((s) => s.includes(`slider to −${LESSON_STRENGTH}`));
      const cheerful = await slideTo(page, LESSON_STRENGTH);
      const gloomy = promisesGloomy ? await slideTo(page, -LESSON_STRENGTH) : undefined;
      const odds = (t: string) => judge.logOdds(t).toFixed(1);
      console.log(
        `${lesson.id}: baseline ${odds(cheerful.baseline)}, +${LESSON_STRENGTH} ${odds(cheerful.steered)}` +
          (gloomy ? `, −${LESSON_STRENGTH} ${odds(gloomy.steered)}` : ''),
      );
      expect(judge.classify(cheerful.steered), cheerful.steered).toBe('positive');
      expect(judge.logOdds(cheerful.steered)).toBeGreaterThan(judge.logOdds(cheerful.baseline));
      if (gloomy) {
        expect(judge.classify(gloomy.steered), gloomy.steered).toBe('negative');
        expect(judge.logOdds(gloomy.steered)).toBeLessThan(judge.logOdds(cheerful.steered));
      }
      expect(errors).toEqual([]);
      await close();
    },
  );

  it('checks a lens answer against the lens: exactly one row is the first to show the prediction', async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'lens-first-layer')!;
    const { page, errors, close } = await open(lesson);
    const results = await layerAnswers(page, lesson, true);
    expect(results.length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r.verdict === 'correct')).toHaveLength(1);
    for (const r of results.filter((r) => r.verdict === 'wrong'))
      expect(r.message).toMatch(/top token|earlier row/);
    await answer(page, lesson, results.find((r) => r.verdict === 'correct')!.answer);
    await screenshot(page, 'lesson-answered-correct');
    expect(errors).toEqual([]);
    await close();
  });

  it("checks the layer answer against the layer strip's separation: exactly one layer is the shortest bar", async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'weakest-layer')!;
    const { page, errors, close } = await open(lesson);
    await waitForVector(page);
    const results = await layerAnswers(page, lesson, false);
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.filter((r) => r.verdict === 'correct')).toHaveLength(1);
    expect(results.some((r) => r.verdict === 'wrong')).toBe(true);
    const wrong = results.find((r) => r.verdict === 'wrong')!;
    expect(wrong.message).toContain('separation');
    expect((await answer(page, lesson, wrong.answer)).verdict).toBe('wrong');
    await screenshot(page, 'lesson-answered-wrong');
    expect(errors).toEqual([]);
    await close();
  });

  it('checks a refusal answer once its steps are followed, and says what to do before', async () => {
    for (const lesson of LESSONS.filter((l) => l.check.kind === 'refusal-verdict')) {
      const { page, errors, close } = await open(lesson);
      const early = await answer(page, lesson, 'refuses');
      expect(early.verdict).toBe('not-ready');
      expect(early.message).toMatch(
        /find the refusal direction and click "(Ablate the direction|Add it)" first/,
      );

      // The steps: find the direction in the Refusal circuit tab, then apply it.
      const apply =
        lesson.check.kind === 'refusal-verdict' && lesson.check.needs === 'add'
          ? 'Add it'
          : 'Ablate the direction';
      await page.getByRole('button', { name: 'Find the refusal direction' }).click();
      await page.getByRole('button', { name: 'Find it again' }).waitFor({ timeout: 120_000 });
      const button = page.getByRole('button', { name: apply, exact: true });
      await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
      await button.click();
      await expect
        .poll(async () => (await experimentIn(page)).interventions.map((iv) => iv.kind))
        .toContain(apply === 'Add it' ? 'add' : 'ablate');
      // Exactly one of the two answers is right, and both say the computed probabilities.
      const verdicts = [];
      for (const choice of lesson.choices ?? []) {
        const r = await answer(page, lesson, choice);
        expect(r.message).toMatch(/is \d+% without the intervention and \d+% with it/);
        verdicts.push(r.verdict);
      }
      expect(verdicts.sort()).toEqual(['correct', 'wrong']);
      await screenshot(page, `lesson-${lesson.id}-checked`);
      expect(errors).toEqual([]);
      await close();
    }
  });

  it('checks a gate-head answer by gating every head', async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'gate-head')!;
    const { page, errors, close } = await open(lesson);
    const r = await answer(page, lesson, 'L0.H0');
    expect(['correct', 'wrong']).toContain(r.verdict);
    expect(r.message).toMatch(
      /Refusal log-odds -?\d+\.\d\d ungated; the largest drops when one head is gated: L\d+\.H\d+/,
    );
    // The head the feedback ranks first is accepted.
    const best = /gated: (L\d+\.H\d+)/.exec(r.message)![1]!;
    expect((await answer(page, lesson, best)).verdict).toBe('correct');
    await screenshot(page, 'lesson-gate-head-checked');
    expect(errors).toEqual([]);
    await close();
  });

  it("checks the function vector answer against the view's readout, after its steps", async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'fv-readout')!;
    const { page, errors, close } = await open(lesson);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=fv-view]')?.getAttribute('data-status') === 'done',
      undefined,
      { timeout: 180_000 },
    );
    await page.getByTestId('fv-steer').click();
    const marked = await page.locator('[data-testid=fv-readout] li[data-answer=true]').count();
    const right = marked > 0 ? 'yes' : 'no';
    const r = await answer(page, lesson, right);
    expect(r.verdict).toBe('correct');
    expect(r.message).toMatch(/zero-shot accuracy goes from \d+% to \d+% \(few-shot: \d+%\)/);
    expect((await answer(page, lesson, right === 'yes' ? 'no' : 'yes')).verdict).toBe('wrong');
    await screenshot(page, 'lesson-function-vector-checked');
    expect(errors).toEqual([]);
    await close();
  });

  it('follows the introspection lesson: not ready at strength 0, then the slider, the replies and a checked answer', async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'introspection-yes')!;
    const { page, errors, close } = await open(lesson);
    await waitForVector(page);
    // Steps 1-2: the question and the reply with nothing injected.
    const { baseline } = await waitForBoth(page);
    expect(baseline.length).toBeGreaterThan(0);
    expect((await answer(page, lesson, 'no')).verdict).toBe('not-ready');
    // Step 3: the slider to the strength the step names.
    await page.getByRole('slider', { name: 'Strength' }).fill(String(INTROSPECTION_STRENGTH));
    expect(await page.getByTestId('coefficient').textContent()).toBe(INTROSPECTION_STRENGTH.toFixed(2));
    // Step 4: the steered reply differs: the injection reaches the model.
    const up = await waitForBoth(page);
    expect(up.baseline).toBe(baseline);
    expect(up.steered).not.toBe(baseline);
    await expect
      .poll(async () => (await experimentIn(page)).steering.coefficient)
      .toBe(INTROSPECTION_STRENGTH);
    // Exactly one answer is right, and both feedbacks give the computed P(yes).
    const verdicts = [];
    for (const choice of lesson.choices ?? []) {
      const r = await answer(page, lesson, choice);
      expect(r.message).toMatch(
        new RegExp(
          `injected at ${INTROSPECTION_STRENGTH}, P\\(the reply starts "yes"\\) is \\d+%.*without it, \\d+%`,
        ),
      );
      verdicts.push(r.verdict);
    }
    expect(verdicts.sort()).toEqual(['correct', 'wrong']);
    // Step 5: the other sign.
    await page.getByRole('slider', { name: 'Strength' }).fill(String(-INTROSPECTION_STRENGTH));
    const down = await waitForBoth(page);
    expect(down.steered).not.toBe(up.steered);
    await screenshot(page, 'lesson-introspection-checked');
    expect(errors).toEqual([]);
    await close();
  });

  it("checks the not-decodable answer against the vector's lens, and Next opens the next lesson in place", async () => {
    const lesson = LESSONS.find((l) => l.check.kind === 'vector-lens-sentiment')!;
    const { page, errors, close } = await open(lesson);
    await waitForVector(page);
    const r = await answer(page, lesson, 'no');
    expect(['correct', 'wrong']).toContain(r.verdict);
    expect(r.message).toMatch(/At layer 4 its lens promotes/);
    await screenshot(page, 'lesson-steerable-not-decodable-checked');
    const next = LESSONS[LESSONS.indexOf(lesson) + 1];
    if (next) {
      await page.getByRole('button', { name: 'Next →' }).click();
      await page.waitForFunction(
        (id) => document.querySelector('[data-testid=lesson-panel]')?.getAttribute('data-lesson') === id,
        next.id,
      );
      expect(new URL(page.url()).searchParams.get('lesson')).toBe(next.id);
      const want = expected(next);
      await expect
        .poll(() => page.getByRole('textbox', { name: 'Prompt' }).inputValue())
        .toBe(want.prompt.text);
      await expect.poll(async () => (await experimentIn(page)).view.tab).toBe(want.view.tab);
    }
    expect(errors).toEqual([]);
    await close();
  });
});
