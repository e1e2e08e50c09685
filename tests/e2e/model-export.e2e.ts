/**
 * Weight edits leave the page as a model: on the shipped organism, "Export model with refusal
 * removed" (the found direction orthogonalised out of the weights) and "Export as edited model"
 * (Steer2Edit's rank-1 edits from the steering pairs) each download one zip holding a Hugging Face
 * folder. Unzipped, the folder loads in Node as the CLI loads it: the orthogonalised organism
 * answers the chat-template harmful request the original refuses (judged by interp's isRefusal),
 * with no hook; the Steer2Edit model writes further along the pairs' direction at the edited layer;
 * `rudder generate --model <folder>` runs on both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodePrompt, loadFromArgs } from '../../src/cli/common';
import { generate, hookName, type Model } from '../../src/engine';
import { collectActivations, encodeInput, meanRows, sub, unit } from '../../src/interp';
import { isRefusal } from '../../src/interp/behaviour';
import { rudder } from '../support/cli';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { PAIRS, pastePairs, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const ORGANISM = resolve(import.meta.dirname, '../../models/organism-llama');

async function harmfulHeldOut(): Promise<string[]> {
  const data = JSON.parse(await readFile(join(ORGANISM, 'datasets/harmful.json'), 'utf8')) as {
    items: { instruction: string }[];
  };
  return data.items.map((i) => i.instruction).filter((_, i) => i % 3 === 2);
}

/** Clicks an export button and unzips what it downloads; returns the model folder inside. */
async function exportAndUnzip(page: Page, button: string): Promise<string> {
  const download = page.waitForEvent('download', { timeout: 180_000 });
  await page.getByRole('button', { name: button }).click();
  // An export that fails says why on the page: fail with that, not with a download timeout.
  const failed = page
    .getByTestId('model-export-error')
    .waitFor({ timeout: 180_000 })
    .then(async () => {
      throw new Error(`export failed: ${await page.getByTestId('model-export-error').textContent()}`);
    });
  failed.catch(() => {});
  const d = await Promise.race([download, failed]);
  expect(d.suggestedFilename()).toMatch(/^organism-llama-[a-z0-9-]+\.zip$/);
  const dir = mkdtempSync(join(tmpdir(), 'rudder-model-export-'));
  const zip = join(dir, d.suggestedFilename());
  await d.saveAs(zip);
  execFileSync('/usr/bin/unzip', ['-q', zip, '-d', dir]);
  return join(dir, d.suggestedFilename().replace(/\.zip$/, ''));
}

/** Greedy chat reply of a model folder, through `rudder generate`. */
async function reply(folder: string, prompt: string): Promise<string> {
  const out = await rudder(
    'generate',
    '--model',
    folder,
    '--prompt',
    prompt,
    '--chat',
    '--temperature',
    '0',
    '--max-tokens',
    '12',
  );
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

describe.skipIf(!HAS_ORGANISM)('an edited model leaves the page as a zipped folder', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('the refusal-orthogonalised organism answers the request the original refuses', async () => {
    // A held-out harmful request the original refuses in Node (greedy, chat template).
    let prompt = '';
    for (const candidate of (await harmfulHeldOut()).slice(0, 6))
      if (isRefusal(await reply(ORGANISM, candidate))) {
        prompt = candidate;
        break;
      }
    expect(prompt, 'the organism refuses none of its held-out harmful requests').not.toBe('');

    const page = await browser.newPage({ viewport: { width: 1366, height: 1100 }, acceptDownloads: true });
    const watch = watchPage(page);
    await page.goto(`${app()}/?backend=wasm`);
    await waitForModel(page, /organism-llama/);
    await page.getByRole('tab', { name: 'Refusal circuit' }).click();
    // The view explains itself once (the tab's explainer), not twice.
    expect(await page.locator('[data-testid=explainer][data-explains=refusal]').count()).toBe(1);
    const exportButton = page.getByRole('button', { name: 'Export model with refusal removed' });
    expect(await exportButton.isDisabled()).toBe(true);
    await page.getByTestId('find-refusal').click();
    await page.getByTestId('refusal-summary').waitFor({ timeout: 180_000 });
    const folder = await exportAndUnzip(page, 'Export model with refusal removed');
    await page.getByTestId('model-export-note').waitFor();
    await screenshot(page, 'refusal-model-exported');
    expect(watch.errors).toEqual([]);
    await page.close();

    const files = (await readdir(folder)).sort();
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'config.json', 'model.safetensors', 'tokenizer.json']),
    );
    expect(await readFile(join(folder, 'README.md'), 'utf8')).toMatch(/refusal direction .* orthogonalised/);

    const original = await reply(ORGANISM, prompt);
    const edited = await reply(folder, prompt);
    console.log(`original: ${JSON.stringify(original)}\nrefusal removed: ${JSON.stringify(edited)}`);
    expect(isRefusal(original)).toBe(true);
    expect(edited.trim().length).toBeGreaterThan(0);
    expect(isRefusal(edited), `still refuses: ${edited}`).toBe(false);

    // transformers is not installed here; training/hf_models.py is this project's from-scratch
    // PyTorch copy of its semantics, which loads HF names strictly (every key and shape checked).
    // Greedy from the same chat-template ids, it continues as Rudder does.
    const model = await loadFromArgs({ model: folder, backend: 'wasm' });
    let ids: number[];
    let rudderIds: readonly number[];
    try {
      ids = encodePrompt(model, prompt, true);
      rudderIds = (await generate(model, ids, { maxTokens: 12, temperature: 0 })).tokens;
    } finally {
      model.dispose();
    }
    const script = `
import sys, json
sys.path.insert(0, 'training')
from hf_models import load_pretrained
print(json.dumps(load_pretrained(sys.argv[1]).generate(json.loads(sys.argv[2]), ${rudderIds.length})))
`;
    const torchIds = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, folder, JSON.stringify(ids)], {
        encoding: 'utf8',
        cwd: resolve(import.meta.dirname, '../..'),
      }),
    );
    expect(torchIds).toEqual([...rudderIds]);
  });

  it('the Steer2Edit model writes further along the pairs’ direction, with no hook', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 1100 }, acceptDownloads: true });
    const watch = watchPage(page);
    await page.goto(`${app()}/?backend=wasm`);
    await waitForModel(page, /organism-llama/);
    await pastePairs(page);
    await waitForVector(page);
    await setField(page, 'Max tokens', '8');
    const folder = await exportAndUnzip(page, 'Export as edited model');
    const note = (await page.getByTestId('model-export-note').textContent()) ?? '';
    expect(note).toMatch(/Steer2Edit rank-1 edits from 4 steering pairs at layer (\d+)/);
    const layer = Number(/at layer (\d+)/.exec(note)![1]);
    expect(watch.errors).toEqual([]);
    await page.close();
    expect(await readFile(join(folder, 'README.md'), 'utf8')).toContain('Steer2Edit');

    // The pairs' direction at the edited layer's output, read on the original; the negative
    // texts' mean projection on it rises in the edited model (each edit adds along v̂ for the
    // mean input, whatever the sign of g: METHODS.md §8).
    const pairs = PAIRS.split('\n').map((l) => l.split(' | ') as [string, string]);
    const point = hookName('resid_post', layer);
    const read = async (m: Model, texts: string[]) =>
      meanRows(
        (
          await collectActivations(
            m,
            texts.map((t) => encodeInput(m, t, { chat: false })),
            [point],
            { kind: 'mean' },
          )
        ).get(point)!,
      );
    const projection = (x: Float32Array, v: Float32Array) => x.reduce((s, xi, i) => s + xi * v[i]!, 0);
    const original = await loadFromArgs({ model: ORGANISM, backend: 'wasm' });
    const edited = await loadFromArgs({ model: folder, backend: 'wasm' });
    try {
      const negatives = pairs.map((p) => p[1]);
      const v = unit(
        sub(
          await read(
            original,
            pairs.map((p) => p[0]),
          ),
          await read(original, negatives),
        ),
      );
      const before = projection(await read(original, negatives), v);
      const after = projection(await read(edited, negatives), v);
      console.log(`Steer2Edit layer ${layer}: negative texts along v̂ ${before} → ${after}`);
      expect(after).toBeGreaterThan(before);
    } finally {
      original.dispose();
      edited.dispose();
    }
    const out = await rudder('generate', '--model', folder, '--prompt', 'The day was', '--max-tokens', '8');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.length).toBeGreaterThan('The day was'.length);
  });
});
