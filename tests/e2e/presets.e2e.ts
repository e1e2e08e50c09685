/**
 * Each preset as a user meets it (issue 15): press it on each shipped organism, keep the strength it
 * sets, Generate, and the steered text shows what the preset promises, judged as
 * `eval:steering -- --presets` judges it (METHODS §19): the music-topic words for Music, the
 * refusal prefixes for Refusal (whose preset also
 * turns the chat template on). One seeded sample can miss a 78-83% effect, so each preset runs on
 * the prompts its evaluation uses and must show the effect on most of them, and more often than
 * the unsteered side.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PRESETS } from '../../src/experiment';
import { isRefusal, tellsOfTopic } from '../../src/interp';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, watchPage } from './support/browser';
import { waitForBoth } from './support/steer';

const app = () => inject('appUrl');
/** The shipped organisms the presets are tuned for: the default one first. */
const ORGANISMS = ['organism-llama', 'organism-gpt2'] as const;
type Organism = (typeof ORGANISMS)[number];

async function items<T>(organism: Organism, file: string): Promise<T[]> {
  const path = resolve(import.meta.dirname, '../../models', organism, 'datasets', file);
  return (JSON.parse(await readFile(path, 'utf8')) as { items: T[] }).items;
}

/** Opens the page on an organism (the default one with no `?model`). */
async function openOn(browser: Browser, organism: Organism) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const watch = watchPage(page);
  await page.goto(organism === ORGANISMS[0] ? `${app()}/` : `${app()}/?model=${organism}`);
  await waitForModel(page, new RegExp(organism));
  return { page, watch };
}

/** Presses the preset and waits until its pairs are in the editor. */
async function press(page: Page, label: string): Promise<void> {
  await page.getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('button', { name: `Undo ${label}` }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=pairs-editor] .pair') !== null);
}

/** Steered and baseline texts of each prompt, generated with the page's Generate. */
async function run(page: Page, prompts: readonly string[]) {
  const out: { baseline: string; steered: string }[] = [];
  for (const p of prompts) {
    await page.getByRole('textbox', { name: 'Prompt' }).fill(p);
    await page.getByRole('button', { name: 'Generate' }).click();
    out.push(await waitForBoth(page, 240_000));
  }
  return out;
}

describe.skipIf(!HAS_ORGANISM)('the presets at their default strength', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  // Sentiment is not here yet: in the page, its six stories were judged positive 3 times steered
  // and 5 times unsteered on organism-llama (the evaluation in Node: 83% steered, 31% unsteered, but
  // 56% with 32 pairs: not robust, METHODS §19); open in issue 15.
  for (const organism of ORGANISMS) {
    describe(organism, () => {
      const music = PRESETS.find((p) => p.id === 'music')!;
      it(`${music.label}: the steered stories show it`, async () => {
        const shows = (t: string) => tellsOfTopic(t, 'music');
        const { page, watch } = await openOn(browser, organism);
        await press(page, music.label);
        const tuning = music.tuned![organism]!;
        expect(await page.getByTestId('coefficient').textContent()).toBe(tuning.strength.toFixed(2));
        expect(await page.getByTestId('fluent-range').getAttribute('data-inside')).toBe('true');
        expect(await page.getByLabel('Chat template', { exact: true }).isChecked()).toBe(false);
        await setField(page, 'Max tokens', '40');
        const openings = (await items<{ text: string }>(organism, 'neutral_openings.json'))
          .slice(-6)
          .map((o) => o.text);
        const texts = await run(page, openings);
        const steered = texts.filter((t) => shows(t.steered)).length;
        const baseline = texts.filter((t) => shows(t.baseline)).length;
        console.log(`${organism} ${music.label}: steered ${steered}/6 show it, baseline ${baseline}/6`);
        expect(steered).toBeGreaterThanOrEqual(4);
        expect(steered).toBeGreaterThan(baseline);
        expect(watch.errors).toEqual([]);
        await page.close();
      });

      it('Refusal: turns the chat template on and the steered model refuses harmless requests', async () => {
        const { page, watch } = await openOn(browser, organism);
        const chat = page.getByLabel('Chat template', { exact: true });
        expect(await chat.isChecked()).toBe(false);
        await press(page, 'Refusal');
        expect(await chat.isChecked(), 'the preset turns on the prompt’s chat template').toBe(true);
        const tuning = PRESETS.find((p) => p.id === 'refusal')!.tuned![organism]!;
        expect(await page.getByTestId('coefficient').textContent()).toBe(tuning.strength.toFixed(2));
        await setField(page, 'Max tokens', '12');
        // The requests the preset check asks (the last 12 harmless ones): it refuses all of them.
        const requests = (await items<{ instruction: string }>(organism, 'harmless.json'))
          .slice(-12)
          .map((r) => r.instruction);
        const texts = await run(page, requests);
        const steered = texts.filter((t) => isRefusal(t.steered)).length;
        const baseline = texts.filter((t) => isRefusal(t.baseline)).length;
        console.log(
          `${organism} Refusal: steered refuses ${steered}/12 harmless requests, baseline ${baseline}/12`,
        );
        expect(baseline).toBe(0);
        expect(steered).toBeGreaterThanOrEqual(10);
        // Only the prompt is steered: the reply is the model's own refusal, not broken text.
        expect(await page.getByLabel('Add at', { exact: true }).inputValue()).toBe('prompt');
        // A story preset pressed next steers every position again.
        await press(page, 'Music');
        expect(await page.getByLabel('Add at', { exact: true }).inputValue()).toBe('all');
        expect(watch.errors).toEqual([]);
        await page.close();
      });
    });
  }
});
