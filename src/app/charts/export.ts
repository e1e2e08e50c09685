/**
 * Chart and table exports: every chart saves as SVG and PNG, every result table as CSV. Charts
 * are d3-drawn <svg> elements; their look comes from CSS, so the computed styles that matter
 * are inlined into the copy that is saved (a file opened elsewhere has no stylesheet).
 */

/**
 * Style properties a chart's marks depend on; copied from the page onto each exported node as
 * SVG presentation attributes. Not as style="..." attributes: the PNG is drawn from the SVG loaded
 * as an image from a blob: URL, which inherits the page's Content-Security-Policy, and that policy
 * (style-src 'self') blocks inline style attributes; presentation attributes are not styles to CSP.
 */
const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'visibility',
  'display',
] as const;

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * A standalone SVG document of a chart on the page, with its computed styles inlined. Charts put
 * token text in text nodes, never markup; the copy is still stripped of anything active (scripts,
 * foreign HTML, event handlers, javascript: links), since an SVG file opened on its own runs them.
 */
export function svgMarkup(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  from.forEach((node, i) => {
    const style = getComputedStyle(node);
    const target = to[i] as SVGElement;
    // The computed values already include what any inline style said.
    target.removeAttribute('style');
    for (const p of STYLE_PROPS) {
      const value = style.getPropertyValue(p);
      if (value) target.setAttribute(p, value);
    }
  });
  // After the styles: they are copied node for node, by position in both trees.
  stripActiveContent(copy);
  const { width, height } = svgSize(svg);
  copy.setAttribute('xmlns', SVG_NS);
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  // The page's background as the first mark, so that the file reads the same in a viewer with a
  // white page.
  const background = document.createElementNS(SVG_NS, 'rect');
  const box = svg.viewBox.baseVal;
  const origin = box && box.width > 0 ? box : { x: 0, y: 0 };
  background.setAttribute('x', String(origin.x));
  background.setAttribute('y', String(origin.y));
  background.setAttribute('width', String(width));
  background.setAttribute('height', String(height));
  // The body's computed background is --bg resolved to a colour: the token itself is a
  // light-dark() pair (styles/tokens.css), which a file opened on its own cannot resolve.
  background.setAttribute('fill', getComputedStyle(document.body).backgroundColor || 'white');
  copy.prepend(background);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

/** Removes what would run when the file is opened: scripts, foreignObject, on* and javascript: links. */
export function stripActiveContent(root: Element): void {
  for (const el of [...root.querySelectorAll('script, foreignObject')]) el.remove();
  for (const el of [root, ...root.querySelectorAll('*')]) {
    for (const { name, value } of [...el.attributes]) {
      const link = /(^|:)href$/i.test(name) && /^\s*javascript:/i.test(value);
      if (/^on/i.test(name) || link) el.removeAttribute(name);
    }
  }
}

function svgSize(svg: SVGSVGElement): { width: number; height: number } {
  const box = svg.viewBox.baseVal;
  if (box && box.width > 0) return { width: box.width, height: box.height };
  const rect = svg.getBoundingClientRect();
  return { width: Math.max(1, Math.round(rect.width)), height: Math.max(1, Math.round(rect.height)) };
}

export function svgBlob(svg: SVGSVGElement): Blob {
  return new Blob([svgMarkup(svg)], { type: 'image/svg+xml' });
}

/** The chart rendered to a PNG at `scale` times its size (2: sharp on a projector). */
export async function pngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const { width, height } = svgSize(svg);
  const url = URL.createObjectURL(svgBlob(svg));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot draw to a canvas, so the PNG cannot be made.');
    ctx.fillStyle = getComputedStyle(document.body).backgroundColor || 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('The PNG could not be encoded.'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. A text
 * field that starts with = + - @, a tab or a carriage return gets a leading apostrophe, so a
 * spreadsheet shows a token such as "=HYPERLINK(...)" as text instead of running it as a formula
 * (OWASP's CSV injection advice); numbers stay numbers.
 */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const field = (v: string | number | null) => {
    const text = v === null ? '' : String(v);
    const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${text}` : text;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[header, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

export function csvBlob(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): Blob {
  return new Blob([toCsv(header, rows)], { type: 'text/csv' });
}

/** Saves a blob as a download named `filename`. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
