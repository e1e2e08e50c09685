import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WEIGHTS = fileURLToPath(new URL('../../../../src/engine/weights/', import.meta.url));

/** Every module reachable from `entry` through relative imports, with its import specifiers. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    graph.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) visit(`${resolve(dirname(file), s)}.ts`);
  };
  visit(entry);
  return graph;
}

describe('the weights public face', () => {
  it('reaches no node:* module, so browser bundles can import it', () => {
    const graph = importGraph(`${WEIGHTS}index.ts`);
    expect(graph.size).toBeGreaterThan(5);
    const offenders = [...graph].filter(([, specs]) => specs.some((s) => s.startsWith('node:')));
    expect(offenders.map(([file]) => file)).toEqual([]);
    expect([...graph.keys()].some((f) => f.endsWith('node-source.ts'))).toBe(false);
  });
});
