/** A worker host (run in Node) with organism-llama loaded from its folder as dropped Files. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHost, type ModelHost } from '../../src/worker/host';
import { useBackend } from './backend';

const DIR = resolve(import.meta.dirname, '../../models/organism-llama');

/** The organism's folder as browser Files (what a dropped folder gives the worker). */
export function folderFiles(): File[] {
  return readdirSync(DIR)
    .filter((f) => statSync(join(DIR, f)).isFile())
    .map((f) => new File([readFileSync(join(DIR, f))], f));
}

export async function organismHost(): Promise<ModelHost> {
  // The host reads `self` (a worker global) when it describes the backend.
  (globalThis as { self?: unknown }).self ??= globalThis;
  await useBackend('wasm');
  const host = createHost();
  await host.load({ model: { kind: 'files', files: folderFiles() }, backend: 'wasm' });
  return host;
}
