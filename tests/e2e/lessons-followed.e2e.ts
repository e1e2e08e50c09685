/**
 * Every lesson followed literally (issue 15): each test does what the lesson's steps tell a
 * student, in their order (the tab, the clicks, the slider moved to the value the text names,
 * the answer typed or clicked) and checks that what the text promises appears: the reply the
 * text says the model writes, the layer strip's clearly shortest bar, a story the organism's own
 * sentiment judge (interp's eval, trained on the labelled stories beside the organism) calls
 * cheerful or gloomy, a refusal removed or induced, and the answer the steps lead to judged
 * correct. Each runs on both organisms where the lesson's text holds for both (the lesson's link
 * with `?model=organism-gpt2` for the second); what each measured is printed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sourceFromArg } from '../../src/engine/node';
import { decode, encode } from '../../src/experiment';
import {
  LESSON_DATASETS,
  LESSON_ORGANISM,
  LESSON_STRENGTH,
  type Lesson,
  type LessonDatasets,
  lessonById,
  lessonExperiment,
  REFUSAL_OPENINGS,
  SENTIMENT_WORDS,
} from '../../src/experiment/lessons';
import { readOrganismData } from '../../src/interp';
import { sentimentJudge } from '../../src/interp/eval/steering-eval';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { setStrength, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const ORGANISMS = ['organism-llama', 'organism-gpt2'] as const;
type Organism = (typeof ORGANISMS)[number];
const dir = (o: Organism) => resolve(import.meta.dirname, `../../models/${o}`);
const DATA = HAS_ORGANISM
  ? (Object.fromEntries(
      LESSON_DATASETS.map((f) => [
        f,
        JSON.parse(readFileSync(`${dir(LESSON_ORGANISM)}/datasets/${f}`, 'utf8')),
      ]),
    ) as LessonDatasets)
  : undefined;
const lesson = (id: string) => lessonById(id)!;
const judges = new Map<Organism, ReturnType<typeof sentimentJudge>>();
async function judgeOf(o: Organism) {
  if (!judges.has(o)) judges.set(o, sentimentJudge(await readOrganismData(sourceFromArg(dir(o)))));
  return judges.get(o)!;
}

/** The text a side generated (the panel shows the prompt beside it, in its own element). */
async function reply(page: Page, side: 'output' | 'steered'): Promise<string> {
  return (await page.getByTestId(`${side}-text`).textContent()) ?? '';
}
const refuses = (text: string) => REFUSAL_OPENINGS.some((o) => text.trimStart().startsWith(o));

async function waitForBaseline(page: Page): Promise<string> {
  await page.waitForFunction(
    () => document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status') === 'done',
    undefined,
    { timeout: 120_000 },
  );
  return reply(page, 'output');
}

/** Types or clicks an answer and returns the verdict the panel gives. */
async function answer(page: Page, l: Lesson, text: string): Promise<{ verdict: string; message: string }> {
  const feedback = page.getByTestId('lesson-feedback');
  const before = await feedback.textContent().catch(() => null);
  if (l.choices) {
    await page.getByTestId('lesson-panel').getByRole('button', { name: text, exact: true }).click();
  } else {
    await page.getByTestId('lesson-answer').fill(text);
    await page.getByTestId('lesson-panel').getByRole('button', { name: 'Check' }).click();
  }
  await page.waitForFunction(
    (before) => {
      const f = document.querySelector('[data-testid=lesson-feedback]');
      const v = f?.getAttribute('data-verdict');
      return v && v !== 'checking' && (f?.textContent !== before || before === null);
    },
    before,
    { timeout: 300_000 },
  );
  return {
    verdict: (await feedback.getAttribute('data-verdict')) ?? '',
    message: (await feedback.textContent()) ?? '',
  };
}

/** Clicks a button of the refusal view and waits for the steered reply that follows. */
async function findDirection(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Find the refusal direction' }).click();
  await page.getByRole('button', { name: 'Find it again' }).waitFor({ timeout: 300_000 });
  await page.getByTestId('candidates-chart').waitFor();
}

describe.skipIf(!HAS_ORGANISM)('each lesson, followed as written', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  /** The lesson's link, on `organism` (the lesson's own, or another through ?model=). */
  async function open(l: Lesson, organism: Organism) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    const other = organism === LESSON_ORGANISM ? '' : `&model=${organism}`;
    // A lesson link is long and the dev server may still be compiling: the navigation may take a while.
    await page.goto(`${app()}/?lesson=${l.id}${other}#${await encode(lessonExperiment(l, DATA!))}`, {
      timeout: 120_000,
    });
    await waitForModel(page, new RegExp(organism));
    await page.getByTestId('lesson-panel').waitFor();
    const done = async (name: string) => {
      await screenshot(page, `lesson-followed-${l.id}-${organism}-${name}`);
      expect(watch.errors).toEqual([]);
      await context.close();
    };
    return { page, done };
  }

  for (const organism of ORGANISMS) {
    it(`reading-the-lens on ${organism}: the reply is the capital; hovering up the last column finds the row`, async () => {
      const l = lesson('reading-the-lens');
      if (l.check.kind !== 'lens-first-layer') throw new Error('the lesson changed its check');
      const { page, done } = await open(l, organism);
      // 1–2. The prompt lists four countries and capitals; the reply is the fifth's capital.
      const text = await waitForBaseline(page);
      expect(text.trimStart().startsWith(l.check.capital), `reply ${JSON.stringify(text)}`).toBe(true);
      // 3. In the Logit lens tab, the last column.
      expect(await page.getByRole('tab', { selected: true }).textContent()).toBe('Logit lens');
      await page.locator('[data-testid=lens-view][data-status=done]').waitFor({ timeout: 120_000 });
      const last = Math.max(
        ...(await page
          .getByTestId('lens-cell')
          .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-pos'))))),
      );
      const column = page.locator(`[data-testid=lens-cell][data-pos="${last}"]`);
      // 4. Hover its cells from the embedding row up to the last block, reading the top token.
      const rows: { row: number; label: string; top: string }[] = [];
      for (const cell of await column.all()) {
        const label = ((await cell.getAttribute('aria-label')) ?? '').split(',')[0]!;
        await cell.hover();
        const tip = page.getByTestId('lens-tooltip');
        await expect
          .poll(() => tip.locator('.lens-tooltip-head').textContent())
          .toMatch(new RegExp(`^${label} · position ${last} `));
        const top = (await tip.locator('li .lens-topk-token').first().textContent()) ?? '';
        rows.push({ row: Number(await cell.getAttribute('data-row')), label, top });
      }
      // From the embedding row up.
      const ordered = rows.sort((a, b) => a.row - b.row);
      if (ordered[0]!.label !== 'embed') ordered.reverse();
      expect(ordered[0]!.label).toBe('embed');
      const finalTop = ordered.at(-1)!.top;
      const first = ordered.find((r) => r.top === finalTop)!;
      console.log(
        `reading-the-lens ${organism}: reply ${JSON.stringify(text)}; top token by row ${ordered.map((r) => `${r.label}=${JSON.stringify(r.top)}`).join(' ')}; first match ${first.label}`,
      );
      // 5. Click the last row's token to track it: its probability is drawn across layers.
      await page
        .locator(`[data-testid=lens-cell][data-row="${ordered.at(-1)!.row}"][data-pos="${last}"]`)
        .click();
      await page.getByTestId('lens-track-chart').waitFor({ timeout: 120_000 });
      // The row the hovering found is the answer.
      const said = first.label === 'embed' ? 'embed' : /\d+/.exec(first.label)![0];
      expect((await answer(page, l, said)).verdict).toBe('correct');
      await done('answered');
    });

    it(`sentiment-vector on ${organism}: one bar is clearly shortest, +${LESSON_STRENGTH} is cheerful and −${LESSON_STRENGTH} gloomy`, async () => {
      const l = lesson('sentiment-vector');
      const judge = await judgeOf(organism);
      const { page, done } = await open(l, organism);
      // 1. The pairs: each happy sentence has a sad twin.
      const pairs = lessonExperiment(l, DATA!).steering.pairs;
      expect(await page.locator('[data-testid=pairs-editor] li').count()).toBe(pairs.length);
      // 2–3. The layer strip: most bars about as tall as each other, one clearly shorter.
      await waitForVector(page);
      const bars = page.getByTestId('layer-strip').getByRole('button');
      const sep = await bars.evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('data-separation'))));
      const shortest = sep.indexOf(Math.min(...sep));
      const others = sep.filter((_, i) => i !== shortest);
      const gap = Math.min(...others) - sep[shortest]!;
      const spread = Math.max(...others) - Math.min(...others);
      console.log(
        `sentiment-vector ${organism}: separation ${sep.map((s) => s.toFixed(3)).join(' ')}; shortest layer ${shortest}, ${gap.toFixed(3)} below the next, others within ${spread.toFixed(3)}`,
      );
      expect(gap).toBeGreaterThan(spread);
      // 4. The vector is at the marked middle layer; the slider to +8 makes the story cheerful.
      const marked = await bars.evaluateAll((bs) =>
        bs.flatMap((b, i) => (b.getAttribute('aria-pressed') === 'true' ? [i] : [])),
      );
      expect(marked).toEqual([Math.floor(sep.length / 2)]);
      expect(await setStrength(page, LESSON_STRENGTH)).toBe(LESSON_STRENGTH.toFixed(2));
      await waitForBoth(page);
      const [base, up] = [await reply(page, 'output'), await reply(page, 'steered')];
      // 5. The slider to −8: a gloomy story.
      expect(await setStrength(page, -LESSON_STRENGTH)).toBe((-LESSON_STRENGTH).toFixed(2));
      await waitForBoth(page);
      const down = await reply(page, 'steered');
      const fig = (t: string) => `${judge.classify(t)} ${judge.logOdds(t).toFixed(1)}`;
      console.log(
        `sentiment-vector ${organism}: baseline ${fig(base)}, +${LESSON_STRENGTH} ${fig(up)}, −${LESSON_STRENGTH} ${fig(down)}`,
      );
      expect(judge.classify(up), up).toBe('positive');
      expect(judge.classify(down), down).toBe('negative');
      // The question: the shortest bar is the one answer judged correct.
      expect((await answer(page, l, String(shortest))).verdict).toBe('correct');
      expect((await answer(page, l, String(marked[0]))).verdict).toBe('wrong');
      await done('answered');
    });

    it(`refusal-direction on ${organism}: the request is refused, and answered once the direction is ablated`, async () => {
      const l = lesson('refusal-direction');
      const { page, done } = await open(l, organism);
      // 1. The reply refuses.
      const before = await waitForBaseline(page);
      expect(refuses(before), before).toBe(true);
      // 2–4. Find the direction: the candidates chart marks one, the per-layer chart shows the request.
      await findDirection(page);
      expect(await page.getByTestId('candidates-chart').getAttribute('aria-label')).toMatch(
        /(chosen|best dropped): layer \d+/,
      );
      await page.getByTestId('profile-chart').waitFor();
      // 5. Ablate it: the steered reply runs again.
      await page.getByRole('button', { name: 'Ablate the direction', exact: true }).click();
      await expect
        .poll(async () => (await decode(new URL(page.url()).hash))?.interventions.map((i) => i.kind))
        .toContain('ablate');
      await waitForBoth(page);
      const after = await reply(page, 'steered');
      console.log(
        `refusal-direction ${organism}: baseline ${JSON.stringify(before.slice(0, 40))}, ablated ${JSON.stringify(after.slice(0, 40))}`,
      );
      expect(refuses(after), after).toBe(false);
      expect((await answer(page, l, 'answers')).verdict).toBe('correct');
      await done('ablated');
    });

    it(`refusal-induce on ${organism}: the harmless request is answered, and refused once the direction is added`, async () => {
      const l = lesson('refusal-induce');
      const { page, done } = await open(l, organism);
      const before = await waitForBaseline(page);
      expect(refuses(before), before).toBe(false);
      await findDirection(page);
      // 3. "Add it" with coefficient 1.
      expect(await page.getByLabel('Addition coefficient').inputValue()).toBe('1');
      await page.getByRole('button', { name: 'Add it', exact: true }).click();
      await expect
        .poll(async () => (await decode(new URL(page.url()).hash))?.interventions.map((i) => i.kind))
        .toContain('add');
      await waitForBoth(page);
      const after = await reply(page, 'steered');
      console.log(
        `refusal-induce ${organism}: baseline ${JSON.stringify(before.slice(0, 40))}, added ${JSON.stringify(after.slice(0, 40))}`,
      );
      await page.getByTestId('profile-chart').waitFor();
      expect(refuses(after), after).toBe(true);
      expect((await answer(page, l, 'refuses')).verdict).toBe('correct');
      await done('added');
    });

    it(`gate-head on ${organism}: the most strongly coloured head by patching is the gate head`, async () => {
      const l = lesson('gate-head');
      const { page, done } = await open(l, organism);
      // 1. The reply starts with a refusal.
      const before = await waitForBaseline(page);
      expect(refuses(before), before).toBe(true);
      // 2. Colour the heads by "Patching effect on refusal".
      await page.getByLabel('Colour heads by').selectOption({ label: 'Patching effect on refusal' });
      await page.waitForFunction(
        () => {
          const s = document.querySelector('[data-testid=heads-grid-wrap]')?.getAttribute('data-status');
          const v = (document.querySelector('[aria-label="Colour heads by"]') as HTMLSelectElement | null)
            ?.value;
          const c = document.querySelector('[data-testid=head-cell]')?.getAttribute('data-value') ?? '';
          return s === 'error' || (s === 'done' && v === 'patch' && c !== '');
        },
        undefined,
        { timeout: 300_000 },
      );
      const heads = (
        await page.getByTestId('head-cell').evaluateAll((cs) =>
          cs.map((c) => ({
            layer: Number(c.getAttribute('data-layer')),
            head: Number(c.getAttribute('data-head')),
            value: Number(c.getAttribute('data-value')),
          })),
        )
      ).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
      // 3–4. Gate the most strongly coloured head, watch the reply, restore it; then the next two.
      const tried: string[] = [];
      for (const h of heads.slice(0, 3)) {
        const cell = page.locator(`[data-testid=head-cell][data-layer="${h.layer}"][data-head="${h.head}"]`);
        await cell.click();
        await expect.poll(() => cell.getAttribute('data-gate')).toBe('zero');
        await waitForBoth(page);
        tried.push(
          `L${h.layer}.H${h.head} (${h.value.toFixed(2)}): ${JSON.stringify((await reply(page, 'steered')).slice(0, 30))}`,
        );
        await cell.click();
        await expect.poll(() => cell.getAttribute('data-gate')).toBe('none');
      }
      console.log(`gate-head ${organism}: strongest by patching, gated: ${tried.join('; ')}`);
      // 5. The strongest is the head whose gate weakens the refusal most.
      const r = await answer(page, l, `L${heads[0]!.layer}.H${heads[0]!.head}`);
      console.log(`gate-head ${organism}: ${r.message}`);
      expect(r.verdict).toBe('correct');
      await done('answered');
    });
  }

  it(`steerable-not-decodable on ${LESSON_ORGANISM}: +${LESSON_STRENGTH} at layer 4 is cheerful, and the lens says whether a sentiment word shows`, async () => {
    const l = lesson('steerable-not-decodable');
    const judge = await judgeOf(LESSON_ORGANISM);
    const { page, done } = await open(l, LESSON_ORGANISM);
    // 1. The vector is at layer 4.
    await waitForVector(page);
    const marked = await page
      .getByTestId('layer-strip')
      .getByRole('button')
      .evaluateAll((bs) => bs.flatMap((b, i) => (b.getAttribute('aria-pressed') === 'true' ? [i] : [])));
    expect(marked).toEqual([4]);
    // 2. The vector's lens: the tokens it promotes.
    await page.locator('[data-testid=vector-lens][data-status=ready]').waitFor({ timeout: 120_000 });
    const promoted = await page.getByTestId('lens-promoted').locator('code').allTextContents();
    // 3. The slider to +8: the story turns cheerful.
    expect(await setStrength(page, LESSON_STRENGTH)).toBe(LESSON_STRENGTH.toFixed(2));
    await waitForBoth(page);
    const [base, up] = [await reply(page, 'output'), await reply(page, 'steered')];
    const words = new Set<string>([...SENTIMENT_WORDS.positive, ...SENTIMENT_WORDS.negative]);
    const shows = promoted.slice(0, 10).some((t) => words.has(t.replace(/^[·\s]+/, '').toLowerCase()));
    console.log(
      `steerable-not-decodable: promoted ${promoted.slice(0, 10).join(' ')}; baseline ${judge.classify(base)} ${judge.logOdds(base).toFixed(1)}, +${LESSON_STRENGTH} ${judge.classify(up)} ${judge.logOdds(up).toFixed(1)}`,
    );
    expect(judge.classify(up), up).toBe('positive');
    // 4. Compare: the answer read off the lens is the one judged correct.
    expect((await answer(page, l, shows ? 'yes' : 'no')).verdict).toBe('correct');
    await done('answered');
  });
});
