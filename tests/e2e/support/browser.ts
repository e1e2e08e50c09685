/**
 * Chromium (Debian's package) driven by playwright-core. WebGPU runs on SwiftShader, Chromium's
 * software Vulkan: in headless Chromium 156 `--enable-unsafe-webgpu` alone gives a working
 * adapter (isFallbackAdapter: true); no Vulkan or ANGLE flags are needed.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.RUDDER_CHROMIUM ?? '/usr/bin/chromium';

const BASE_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

/**
 * A browser whose pages have seen the tour (localStorage `rudder.tour`), so a test's bare page
 * opens the default experiment with nothing generating on its own: a first visit steers an
 * example on load and shows the tour, which would race a test's own Generate and cover its
 * controls. Only tests/e2e/first-visit.e2e.ts asks for `firstVisit`.
 */
export async function launch(opts: { webgpu?: boolean; firstVisit?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(opts.webgpu ? WEBGPU_FLAGS : [])],
  });
  if (opts.firstVisit) return browser;
  // about:blank has no storage: nothing to mark there.
  const seen = () => {
    try {
      localStorage.setItem('rudder.tour', 'seen');
    } catch {}
  };
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(seen);
    return context;
  };
  browser.newPage = async (options) => {
    const page = await newPage(options);
    await page.addInitScript(seen);
    return page;
  };
  return browser;
}

/**
 * Collects console errors and uncaught exceptions so a test can assert there were none. The
 * browser's own "Failed to load resource" lines are left out: probing for optional files
 * (models/index.json, tokenizer_config.json) answers 404 by design.
 */
export function watchPage(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      errors.push(`console: ${m.text()}`);
  });
  return { errors };
}

const SCREENSHOTS = resolve(import.meta.dirname, '../../../test-results/screenshots');

/**
 * A full-page capture into test-results/screenshots, for people reviewing the layout (the tests'
 * assertions never read it). It is composited in software while the model worker may keep both
 * cores busy: once, on a machine three times slower than usual, a capture taken mid-run needed more
 * than Playwright's 30 s (refusal.e2e.ts, CI of 2026-12-07), hence the longer limit.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true, timeout: 120_000 });
}
