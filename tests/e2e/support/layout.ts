/** Layout checks that read boxes from the page: clipped dropdowns, covered or overlapping controls. */
import type { Locator, Page } from 'playwright-core';

/**
 * Visible dropdowns narrower than their longest option (so the shown label is cut off), as
 * "label: width/needed" strings. The needed width is the same select's with `width: auto`, which
 * Chromium sizes to its longest option.
 */
export function clippedSelects(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('select')]
      .filter((s) => s.getClientRects().length > 0)
      .flatMap((s) => {
        const probe = s.cloneNode(true) as HTMLSelectElement;
        probe.style.width = 'auto';
        probe.style.maxWidth = 'none';
        probe.style.position = 'absolute';
        probe.style.visibility = 'hidden';
        s.parentElement!.appendChild(probe);
        const needed = probe.getBoundingClientRect().width;
        probe.remove();
        const width = s.getBoundingClientRect().width;
        const label = s.labels?.[0]?.textContent ?? s.getAttribute('aria-label') ?? s.id;
        return width + 0.5 < needed ? [`${label}: ${width.toFixed(0)}/${needed.toFixed(0)} px`] : [];
      }),
  );
}

const CONTROLS =
  'button, input:not([type=hidden]), select, textarea, a[href], [role=tab], [role=slider], summary';

/**
 * Pairs of visible controls whose boxes overlap (by more than a pixel each way), named by their
 * accessible text. Only the part of a box that shows counts (a row scrolled out of a scroll box
 * is hidden by it); a control inside another (a button in a summary) is not an overlap.
 */
export function overlappingControls(page: Page): Promise<string[]> {
  return page.evaluate((selector) => {
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()} "${(
        el.getAttribute('aria-label') ??
        (el as HTMLInputElement).labels?.[0]?.textContent ??
        el.textContent ??
        ''
      )
        .trim()
        .slice(0, 40)}"`;
    /** The part of the element's box that shows: cut by every ancestor that clips (a scroll box). */
    const shown = (el: Element) => {
      let { left, top, right, bottom } = el.getBoundingClientRect();
      for (let a = el.parentElement; a; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const c = a.getBoundingClientRect();
        left = Math.max(left, c.left);
        top = Math.max(top, c.top);
        right = Math.min(right, c.right);
        bottom = Math.min(bottom, c.bottom);
      }
      return { left, top, right, bottom };
    };
    const els = [...document.querySelectorAll(selector)].filter((el) => {
      if (el.closest('.visually-hidden, .skip')) return false;
      const r = shown(el);
      // checkVisibility: not display:none, visibility:hidden, nor inside a closed <details>.
      return r.right > r.left && r.bottom > r.top && el.checkVisibility({ visibilityProperty: true });
    });
    const boxes = els.map(shown);
    const found: string[] = [];
    for (let i = 0; i < els.length; i++)
      for (let j = i + 1; j < els.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        if (els[i]!.contains(els[j]!) || els[j]!.contains(els[i]!)) continue;
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 1 && y > 1) found.push(`${name(els[i]!)} and ${name(els[j]!)}`);
      }
    return found;
  }, CONTROLS);
}

/**
 * What is drawn on top of the element, if anything: it is scrolled into view and the
 * topmost element at its centre must be it or inside it.
 */
export async function coveredBy(el: Locator): Promise<string | undefined> {
  await el.scrollIntoViewIfNeeded();
  return el.evaluate((node) => {
    const r = node.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!top || node === top || node.contains(top)) return undefined;
    return `${top.tagName.toLowerCase()}.${top.className}`;
  });
}
