/**
 * The built app under its Content-Security-Policy: the policy is in the page and on the worker's
 * script, it refuses inline script and eval, and loading the organism, generating, steering's
 * lens and exporting all run under it without one violation. Token text that looks like markup
 * or a spreadsheet formula stays text on the page and in the exported SVG and CSV, and the SVG
 * export strips anything active (checked on a crafted chart, in the browser).
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../vite.config';
import { exported, generateAndWatch, HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, watchPage } from './support/browser';

const app = () => inject('appUrl');
const EVIL = '=SUM(1) <img src=x onerror="window.__pwned=1"> @x';

type Watched = Window & { __csp: string[]; __pwned?: number; __inline?: number };

/** Records every CSP violation the page reports, from before its first script runs. */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as Watched;
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
}

async function waitForLens(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=lens-view]')?.getAttribute('data-status');
    return s === 'done' || s === 'error';
  });
}

/** Generates from the hostile prompt greedily and waits for the lens of it. */
async function generateEvil(page: Page): Promise<void> {
  await page.getByRole('textbox', { name: 'Prompt' }).fill(EVIL);
  await setField(page, 'Max tokens', '12');
  await setField(page, 'Temperature', '0');
  await generateAndWatch(page);
  await waitForLens(page);
}

describe.skipIf(!HAS_ORGANISM)('security of the page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it.runIf(inject('appKind') === 'build')(
    'runs the built app under a policy without inline script or eval, with no violation',
    async () => {
      // The worker takes its policy from its own script's response, not from the page.
      const assets = resolve(import.meta.dirname, '../../dist/assets');
      const worker = readdirSync(assets).find((f) => /^worker-.*\.js$/.test(f))!;
      const res = await fetch(`${app()}/assets/${worker}`);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);

      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      const watch = watchPage(page);
      const console: string[] = [];
      page.on(
        'console',
        (m) => /Content.Security.Policy|Refused to/i.test(m.text()) && console.push(m.text()),
      );
      await recordViolations(page);
      await page.goto(`${app()}/`);
      expect(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content')).toBe(
        CONTENT_SECURITY_POLICY,
      );
      await waitForModel(page, /organism-llama/);
      await generateEvil(page);
      await exported(page, 'logit-lens', 'SVG');

      const w = () => page.evaluate(() => (window as unknown as Watched).__csp);
      expect(await w()).toEqual([]);
      expect(console).toEqual([]);
      expect(watch.errors).toEqual([]);

      // The policy is enforced, not merely present: a string run as code (setTimeout's eval; the
      // test's own evaluate is exempt from CSP by DevTools, so eval is tried from a timer) and an
      // inline script are refused.
      await page.evaluate(() => {
        setTimeout('window.__inline = 1', 0);
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 2';
        document.head.append(s);
      });
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as unknown as Watched).__inline)).toBeUndefined();
      // Each is reported once per copy of the policy (the header and the <meta>).
      expect([...new Set((await w()).map((v) => v.split(' ')[0]))].sort()).toEqual([
        'script-src',
        'script-src-elem',
      ]);
      await page.close();
    },
  );

  it('keeps markup and formulas in token text inert on the page and in exported SVG and CSV', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await generateEvil(page);
    expect(await page.evaluate(() => (window as unknown as Watched).__pwned)).toBeUndefined();
    expect(await page.locator('img[src=x]').count()).toBe(0);

    const svg = (await exported(page, 'logit-lens', 'SVG')).toString('utf8');
    expect(svg).toContain('<svg');
    expect(svg).not.toMatch(/<script|<foreignObject|<img|<[^>]*\son[a-z]+=/i);

    // The lens table names each input token; the prompt's "=" and "@" must not open as formulas.
    const rows = (await exported(page, 'logit-lens', 'CSV')).toString('utf8').trim().split('\r\n').slice(1);
    const inputTokens = new Set(rows.map((r) => r.split(',')[4]));
    expect([...inputTokens].filter((t) => /^[=+@-]/.test(t ?? ''))).toEqual([]);
    expect([...inputTokens].some((t) => t?.startsWith("'="))).toBe(true);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('strips anything active from an exported SVG and keeps token text as text', async () => {
    const page = await browser.newPage();
    await page.goto(`${inject('devUrl')}/tests/e2e/pages/worker.html`);
    // A string, so that Vitest does not rewrite the import() the page must run itself.
    const markup = await page.evaluate<string>(`(async () => {
      const { svgMarkup } = await import('/src/app/charts/export.ts');
      const ns = 'http://www.w3.org/2000/svg';
      const svg = document.createElementNS(ns, 'svg');
      svg.setAttribute('viewBox', '0 0 10 10');
      svg.setAttribute('onload', 'window.__pwned = 1');
      svg.innerHTML =
        '<script>window.__pwned = 2</script><foreignObject><div>x</div></foreignObject>' +
        '<a href="javascript:alert(1)"><rect width="1" height="1" onclick="alert(2)"/></a>';
      const text = document.createElementNS(ns, 'text');
      text.textContent = '<img src=x onerror="window.__pwned=3">';
      svg.append(text);
      document.body.append(svg);
      return svgMarkup(svg);
    })()`);
    expect(markup).not.toMatch(/<script|<foreignObject|<[^>]*\son[a-z]+=|javascript:/i);
    expect(markup).toContain('&lt;img src=x onerror="window.__pwned=3"&gt;');
    expect(markup).toContain('<rect');
    await page.close();
  });
});
