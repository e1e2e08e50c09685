/**
 * The page's URL parameters: `?backend=webgpu|webgl|wasm|cpu` forces a backend, `?model=` picks
 * the model (a shipped name, a Hub id `owner/name[@revision]`, or a URL), `?hub=` sets the Hub
 * endpoint, `?threads=N` (1 to 8) the WebAssembly threads (the default: two on a two-core machine,
 * src/worker/threads.ts; `npm run bench:ui -- --threads=N` compares them). A value that cannot
 * be used becomes a note the page shows; it never throws.
 */
import type { BackendName } from '../worker';
import type { ModelChoice } from './store';

export interface PageParams {
  readonly backend?: BackendName;
  readonly model?: ModelChoice;
  readonly hub?: string;
  readonly threads?: number;
  readonly notes: readonly string[];
}

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HUB_ID = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9._/-]+))?$/;

export function readParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  const notes: string[] = [];
  let backend: BackendName | undefined;
  let model: ModelChoice | undefined;
  let hub: string | undefined;
  let threads: number | undefined;

  const b = q.get('backend');
  if (b !== null) {
    if ((BACKENDS as readonly string[]).includes(b)) backend = b as BackendName;
    else
      notes.push(
        `?backend=${b} is not a backend; use one of ${BACKENDS.join(', ')}. Choosing automatically.`,
      );
  }

  const h = q.get('hub');
  if (h !== null) {
    if (/^https?:\/\/[^\s]+$/.test(h)) hub = h.replace(/\/+$/, '');
    else notes.push(`?hub=${h} is not an http(s) address; using the Hugging Face Hub.`);
  }

  const t = q.get('threads');
  if (t !== null) {
    if (/^[1-8]$/.test(t)) threads = Number(t);
    else notes.push(`?threads=${t} is not a thread count from 1 to 8; using the default.`);
  }

  const m = q.get('model');
  if (m !== null) {
    model = parseModel(m.trim());
    if (!model) {
      notes.push(
        `?model=${m} is not a shipped model name, a Hugging Face repo id (owner/name) or a URL; loading the default model.`,
      );
    }
  }
  return {
    ...(backend ? { backend } : {}),
    ...(model ? { model } : {}),
    ...(hub ? { hub } : {}),
    ...(threads ? { threads } : {}),
    notes,
  };
}

/** A model as a person types it: `organism-gpt2`, `models/organism-gpt2`, `owner/name@rev`, a URL. */
export function parseModel(text: string): ModelChoice | undefined {
  if (/^(https?:\/\/|\/|\.\.?\/)/.test(text)) return { kind: 'url', url: text };
  if (NAME.test(text)) return { kind: 'shipped', name: text };
  const hub = HUB_ID.exec(text);
  if (!hub) return undefined;
  const [, owner, name, revision] = hub;
  if (owner === 'models' && !revision) return { kind: 'shipped', name: name! };
  return { kind: 'hub', repo: `${owner}/${name}`, ...(revision ? { revision } : {}) };
}
