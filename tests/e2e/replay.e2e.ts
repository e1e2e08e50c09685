/**
 * `rudder replay` prints what the page showed: the page steers the tiny text model on
 * WebAssembly, and the address it then holds, replayed in Node on WebAssembly, gives the same
 * baseline and steered text, token for token.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rudder } from '../support/cli';
import { setField, waitForModel } from './support/app';
import { launch } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');

/** The page's address once its link has caught up with the last edit (written after a pause). */
async function settledLink(page: Page): Promise<string> {
  let last = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = page.url();
    if (now === last && now.includes('#e')) return now;
    last = now;
  }
}

describe('rudder replay of a link the page made', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  for (const temperature of ['0', '1']) {
    it(`prints the page's baseline and steered text (temperature ${temperature})`, async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      await page.goto(`${app()}/?backend=wasm&model=/e2e-models/${TEXT_MODEL}`);
      await waitForModel(page, new RegExp(TEXT_MODEL));
      await setField(page, 'Max tokens', '16');
      await setField(page, 'Temperature', temperature);
      await setField(page, 'Seed', '5');
      await pastePairs(page);
      await waitForVector(page);
      await slide(page, 'End');
      await page.getByRole('button', { name: 'Generate' }).click();
      const shown = await waitForBoth(page);
      expect(shown.steered).not.toBe(shown.baseline);
      const link = await settledLink(page);
      await page.close();

      const model = join(inject('e2eModels'), TEXT_MODEL);
      const replayed = await rudder('replay', link, '--model', model, '--backend', 'wasm', '--json');
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(JSON.parse(replayed.stdout)).toMatchObject({ baseline: shown.baseline, steered: shown.steered });
    });
  }
});
