/**
 * The engine against PyTorch's golden fixtures inside Chromium, on WebAssembly and on WebGPU
 * (SwiftShader): logits and activations within 1e-4 of the reference, relative to its scale,
 * and the same 20 greedy tokens. Figures are printed and saved to test-results/golden-*.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GoldenCase, GoldenReport } from './pages/golden';
import { launch, watchPage } from './support/browser';

const REF = '/tests/fixtures/reference';
const CASES: Record<string, GoldenCase> = {
  'gpt2-tiny': { weights: `${REF}/gpt2-tiny`, golden: `${REF}/gpt2-tiny` },
  'gpt2-tiny-f16': { weights: `${REF}/gpt2-tiny-f16`, golden: `${REF}/gpt2-tiny-f16` },
  'llama-gqa': { weights: `${REF}/llama-gqa`, golden: `${REF}/llama-gqa` },
  'llama-gqa-bf16': { weights: `${REF}/llama-gqa-bf16`, golden: `${REF}/llama-gqa-bf16` },
  'llama-gqa-sharded': { weights: `${REF}/llama-gqa-sharded`, golden: `${REF}/llama-gqa-sharded` },
  'llama-gqa-interleaved': {
    weights: `${REF}/llama-gqa`,
    golden: `${REF}/llama-gqa-interleaved-golden`,
    configPatch: { rotary_layout: 'interleaved' },
  },
  'qwen2-tiny': { weights: `${REF}/qwen2-tiny`, golden: `${REF}/qwen2-tiny` },
  ...Object.fromEntries(
    [
      'gemma-tiny',
      'gemma2-tiny',
      'pythia-tiny',
      'neox-sequential',
      'phi3-tiny',
      'llama3-rope-bias',
      'llama-rope-linear',
      'mistral-window',
      'qwen2-window',
    ].map((name) => [name, { weights: `${REF}/${name}`, golden: `${REF}/${name}` }]),
  ),
  stories260K: { weights: '/shared-reference/stories260K', golden: `${REF}/stories260K-golden` },
};

/**
 * On WebGPU (SwiftShader, ~20 s a case) only the cases that run different kernels: the f16,
 * bf16 and sharded variants differ in how weights are read, which happens on the host and is
 * the same on every backend (WebAssembly runs them all); neox-sequential, llama-rope-linear and
 * qwen2-window run no kernel that pythia-tiny, llama3-rope-bias and mistral-window do not.
 */
const WEBGPU_CASES = new Set([
  'gpt2-tiny',
  'llama-gqa',
  'llama-gqa-interleaved',
  'qwen2-tiny',
  'gemma-tiny',
  'gemma2-tiny',
  'pythia-tiny',
  'phi3-tiny',
  'llama3-rope-bias',
  'mistral-window',
  'stories260K',
]);

const TOLERANCE = 1e-4;
const OUT = resolve(import.meta.dirname, '../../test-results');

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`golden fixtures in Chromium on ${backend}`, () => {
    let browser: Browser;
    let page: Page;
    let watch: { errors: string[] };
    const reports: Record<string, GoldenReport> = {};

    beforeAll(async () => {
      browser = await launch({ webgpu: backend === 'webgpu' });
      page = await browser.newPage();
      watch = watchPage(page);
      await page.goto(`${inject('devUrl')}/tests/e2e/pages/golden.html`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
      const info = await page.evaluate((b) => window.rudderGolden.init(b), backend);
      console.log(`[golden ${backend}] backend:`, JSON.stringify(info));
      expect(info.name, info.reason).toBe(backend);
    });

    afterAll(async () => {
      await mkdir(OUT, { recursive: true });
      await writeFile(resolve(OUT, `golden-${backend}.json`), JSON.stringify(reports, null, 1));
      await browser?.close();
    });

    for (const [name, c] of Object.entries(CASES)) {
      if (backend === 'webgpu' && !WEBGPU_CASES.has(name)) continue;
      it(`matches the PyTorch reference on ${name}`, async (ctx) => {
        if (name === 'stories260K' && !inject('hasStories260K')) {
          ctx.skip(
            'stories260K weights are not at ../shared/reference/stories260K (they exist on the dev machine and in CI only)',
          );
        }
        const report = await page
          .evaluate((gc) => window.rudderGolden.run(gc), c)
          .catch((e: Error) => {
            throw new Error(`${e.message}\n${watch.errors.join('\n')}`);
          });
        reports[name] = report;
        console.log(
          `[golden ${backend}] ${name}: logits max|Δ| ${report.logits.maxAbs.toExponential(2)} ` +
            `(rel ${report.logits.maxRel.toExponential(2)}), acts max|Δ| ${report.acts.maxAbs.toExponential(2)} ` +
            `(rel ${report.acts.maxRel.toExponential(2)} at ${report.acts.where}), greedy ` +
            `${report.greedy.got.join(',') === report.greedy.want.join(',') ? 'identical' : 'DIFFERENT'}, ${report.ms} ms`,
        );
        expect(report.logits.maxRel, `logits (${report.logits.where})`).toBeLessThanOrEqual(TOLERANCE);
        expect(report.acts.maxRel, `activations (${report.acts.where})`).toBeLessThanOrEqual(TOLERANCE);
        expect(report.greedy.got).toEqual(report.greedy.want);
      });
    }
  });
}
