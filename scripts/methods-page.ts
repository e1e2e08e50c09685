/**
 * docs/METHODS.md as a page shipped with the app, `methods.html`: rendered from the Markdown when
 * the app is built (and per request by the dev server), so the page's links to a method
 * (`methods.html#method-5`) always open the living copy. Plain HTML and one stylesheet, no
 * script: the build's Content-Security-Policy holds without exceptions.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Marked } from 'marked';
import type { Plugin } from 'vite';

export const METHODS_PAGE = 'methods.html';
const STYLESHEET = 'methods.css';

/** Numbered sections ("## 5. Refusal direction") get `id="method-5"`, what the app links to. */
const marked = new Marked({
  renderer: {
    heading({ tokens, depth, text }) {
      const n = /^(\d+)\.\s/.exec(text)?.[1];
      return `<h${depth}${n ? ` id="method-${n}"` : ''}>${this.parser.parseInline(tokens)}</h${depth}>\n`;
    },
  },
});

export async function renderMethodsPage(markdownFile: string): Promise<string> {
  const body = await marked.parse(await readFile(markdownFile, 'utf8'));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rudder: the methods, exactly</title>
<link rel="stylesheet" href="${STYLESHEET}">
</head>
<body>
<nav><a href="./">← Back to Rudder</a></nav>
<main>
${body}</main>
</body>
</html>
`;
}

const CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; scroll-margin-top: 1rem; }
h2:target { outline: 3px solid #2563eb; outline-offset: 4px; border-radius: 2px; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
li { margin: 0.2rem 0; }
`;

/** Serves the page in dev (rendered per request) and writes it into the build. */
export function methodsPage(markdownFile: string, headers: Readonly<Record<string, string>>): Plugin {
  const middleware = async (req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void) => {
    const path = (req.url ?? '').split(/[?#]/)[0];
    if (path !== `/${METHODS_PAGE}` && path !== `/${STYLESHEET}`) return next();
    try {
      const html = path === `/${METHODS_PAGE}`;
      const body = html ? await renderMethodsPage(markdownFile) : CSS;
      res.writeHead(200, {
        ...headers,
        'content-type': `${html ? 'text/html' : 'text/css'}; charset=utf-8`,
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      next(e);
    }
  };
  return {
    name: 'rudder:methods-page',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: METHODS_PAGE, source: await renderMethodsPage(markdownFile) });
      this.emitFile({ type: 'asset', fileName: STYLESHEET, source: CSS });
    },
  };
}
