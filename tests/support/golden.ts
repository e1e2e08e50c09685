/**
 * The PyTorch reference's golden fixtures (written by training/reference.py) and how to load the
 * model each one was computed from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirSource, type ModelSource } from '../../src/engine/node';
import { parseSafetensors, type SafetensorsFile } from '../../src/engine/weights';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const REFERENCE_DIR = join(REPO_ROOT, 'tests/fixtures/reference');
/** Shared files for every developer and CI; absent in a clone elsewhere. */
export const SHARED_DIR = resolve(REPO_ROOT, '../shared');

export interface GoldenJson {
  readonly sequences: number[][];
  readonly acts_sequences: number[];
  readonly greedy: { prompt: number[]; tokens: number[] };
  readonly hooks: string[];
  /** Where the weights are, relative to the fixture folder (absent: the folder itself). */
  readonly weights?: string;
  readonly rotary_layout?: 'half' | 'interleaved';
}

export interface GoldenCase {
  readonly name: string;
  readonly golden: GoldenJson;
  readonly tensors: SafetensorsFile;
  /** Undefined when the weights live in ../shared and that folder is absent here. */
  readonly source: ModelSource | undefined;
  readonly missing?: string;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(REFERENCE_DIR)
    .filter((d) => existsSync(join(REFERENCE_DIR, d, 'golden.json')))
    .sort()
    .map((name) => {
      const dir = join(REFERENCE_DIR, name);
      const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as GoldenJson;
      const tensors = parseSafetensors(
        new Uint8Array(readFileSync(join(dir, 'golden.safetensors'))),
        `${name}/golden.safetensors`,
      );
      const weightsDir = weightsDirOf(dir, golden);
      if (!existsSync(join(weightsDir, 'config.json')))
        return { name, golden, tensors, source: undefined, missing: weightsDir };
      const base = dirSource(weightsDir);
      return {
        name,
        golden,
        tensors,
        source: golden.rotary_layout ? withRotaryLayout(base, golden.rotary_layout) : base,
      };
    });
}

function weightsDirOf(dir: string, golden: GoldenJson): string {
  if (!golden.weights) return dir;
  if (golden.weights.startsWith('../shared/')) return resolve(REPO_ROOT, golden.weights.split(' ')[0]!);
  return resolve(dir, golden.weights);
}

/** The same checkpoint read with the other rotary layout (the reference ran it both ways). */
function withRotaryLayout(source: ModelSource, layout: string): ModelSource {
  return {
    ...source,
    readText: async (file, signal) => {
      const text = await source.readText(file, signal);
      return file === 'config.json' ? JSON.stringify({ ...JSON.parse(text), rotary_layout: layout }) : text;
    },
  };
}

/**
 * A reference fixture's model folder as dropped files named `<name>/<file>`, without its
 * config.json (returned parsed, for the caller to change) and without the golden outputs.
 */
export function referenceFolder(name: string): { config: Record<string, unknown>; files: File[] } {
  const dir = join(REFERENCE_DIR, name);
  const files = readdirSync(dir)
    .filter((f) => f !== 'config.json' && !f.startsWith('golden'))
    .map((f) => new File([readFileSync(join(dir, f))], `${name}/${f}`));
  return { config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), files };
}
