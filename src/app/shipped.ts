/**
 * The models shipped in `models/`. `models/index.json`, when present, lists them:
 *   { "models": [{ "name": "organism-llama", "label": "…", "description": "…", "default": true }] }
 * Without it the two organisms are assumed. `models/versions.json` (written by the dev server,
 * the preview and the build: see vite.config.ts) gives each built model a content hash: a model
 * it lists is built, and its files are fetched and cached under that version, so a retrained
 * organism is downloaded afresh. Without versions.json each model is probed (HEAD config.json)
 * so the picker can say which are not built yet instead of failing on click.
 */
import { z } from '../experiment/zod';
import type { ShippedModel } from './store';

export const MODELS_BASE = `${import.meta.env.BASE_URL}models/`;

const Entry = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  label: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  default: z.boolean().optional(),
});
const Manifest = z.union([z.object({ models: z.array(Entry).min(1) }), z.array(Entry).min(1)]);

const FALLBACK: readonly z.infer<typeof Entry>[] = [
  { name: 'organism-llama', label: 'Llama organism', default: true },
  { name: 'organism-gpt2', label: 'GPT-2 organism' },
];

export interface ShippedList {
  readonly models: readonly ShippedModel[];
  readonly defaultName: string;
  /** Set when index.json exists but could not be used. */
  readonly problem?: string;
}

const Versions = z.record(z.string(), z.string().regex(/^[A-Za-z0-9_-]{1,64}$/));

export async function discoverShipped(): Promise<ShippedList> {
  let entries = FALLBACK;
  let problem: string | undefined;
  const versions = readVersions();
  try {
    const res = await fetch(`${MODELS_BASE}index.json`);
    if (res.ok) {
      const parsed = Manifest.safeParse(await res.json());
      if (parsed.success) entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.models;
      else
        problem = `models/index.json does not list models as expected (${parsed.error.issues[0]?.message}).`;
    }
  } catch (e) {
    problem = `models/index.json could not be read (${(e as Error).message}).`;
  }
  const known = await versions;
  const models = await Promise.all(
    entries.map(async (e) => {
      const version = known?.[e.name];
      return {
        name: e.name,
        label: e.label ?? e.name,
        ...(e.description ? { description: e.description } : {}),
        ...(version ? { version } : {}),
        available: known ? version !== undefined : await exists(`${MODELS_BASE}${e.name}/config.json`),
      };
    }),
  );
  const defaultName = (entries.find((e) => e.default) ?? entries[0]!).name;
  return { models, defaultName, ...(problem ? { problem } : {}) };
}

/** The models' content hashes, or undefined when the server has no versions.json. */
async function readVersions(): Promise<Record<string, string> | undefined> {
  try {
    const res = await fetch(`${MODELS_BASE}versions.json`, { cache: 'no-cache' });
    if (!res.ok) return undefined;
    const parsed = Versions.safeParse(await res.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function exists(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'HEAD' });
    return res.ok;
  } catch {
    return false;
  }
}
