import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../src/engine';
import { directLogitAttribution } from '../../../src/interp/attribution';
import { refusalCircuit } from '../../../src/interp/circuit';
import { headGateHooks, headMeans } from '../../../src/interp/heads';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { llamaSpec, randomModel } from '../../support/random-model';

const HARMFUL = [
  [1, 40, 9, 3, 17],
  [1, 40, 7, 1, 30, 12],
  [1, 5, 40, 22, 3],
  [1, 40, 40, 8],
];
const HARMLESS = [
  [1, 41, 9, 3, 17],
  [1, 8, 7, 1, 30, 12, 6],
  [1, 5, 42, 22],
  [1, 43, 44, 8],
];
const TOKENS = { refuse: [3, 7], comply: [9] };

describe('refusal circuit on a random llama', () => {
  let model: Model;
  const spec = llamaSpec({ nLayers: 3 });
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 15);
  });
  afterAll(() => model.dispose());

  it('ranks gates by causal effect under interchange and amplifiers by direct effect, in plain JSON', async () => {
    const c = await expectNoLeaks(() =>
      refusalCircuit(model, HARMFUL, HARMLESS, { ...TOKENS, pairs: 4, gates: 2 }),
    );
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(c.heads.length).toBe(spec.nLayers * spec.nHeads);
    for (const h of c.heads) {
      expect(h.indirect).toBeCloseTo(h.necessity - h.direct, 5);
      expect(h.causal).toBeCloseTo((h.necessity + h.sufficiency) / 2, 5);
    }
    const byId = new Map(c.heads.map((h) => [h.id, h]));
    const causal = c.gates.map((id) => byId.get(id)!.causal);
    expect(causal).toEqual([...causal].sort((a, b) => b - a));
    expect(Math.min(...causal)).toBeGreaterThan(0);
    const others = c.heads.filter((h) => !c.gates.includes(h.id)).map((h) => h.causal);
    expect(Math.max(...others)).toBeLessThanOrEqual(causal.at(-1)!);
    const direct = c.amplifiers.map((id) => byId.get(id)!.direct);
    expect(direct).toEqual([...direct].sort((a, b) => b - a));
    for (const id of [...c.gates, ...c.amplifiers]) expect(c.nodes.some((n) => n.id === id)).toBe(true);
    for (const e of c.edges) expect(c.nodes.some((n) => n.id === e.target)).toBe(true);
    // Only heads with at least a fifth of the strongest head's effect are named.
    const best = Math.max(...c.heads.map((h) => h.causal));
    for (const id of c.gates) expect(byId.get(id)!.causal).toBeGreaterThanOrEqual(0.2 * best);
  });

  it("weights a cascade edge by the change in the later head's DLA delta when the gate is ablated", async () => {
    const c = await refusalCircuit(model, HARMFUL, HARMLESS, { ...TOKENS, pairs: 2, gates: 1 });
    const gate = c.heads.find((h) => h.id === c.gates[0])!;
    const edge = c.edges.find((e) => e.kind === 'cascade' && e.source === gate.id)!;
    const target = c.heads.find((h) => h.id === edge.target)!;
    expect(target.layer).toBeGreaterThan(gate.layer);
    const means = await headMeans(model, HARMLESS);
    const hooks = headGateHooks(spec, [{ layer: gate.layer, head: gate.head, mode: 'mean' }], means);
    const direction = { target: TOKENS.refuse, baseline: TOKENS.comply };
    const a = await directLogitAttribution(model, HARMFUL, direction, { hooks });
    const b = await directLogitAttribution(model, HARMLESS, direction, { hooks });
    const k = target.layer * spec.nHeads + target.head;
    expect(edge.weight).toBeCloseTo(a.heads[k]! - b.heads[k]! - target.direct, 5);
  });

  it('finds nothing to route when the harmful and harmless prompts are the same', async () => {
    const c = await refusalCircuit(model, HARMLESS, HARMLESS, { ...TOKENS, pairs: 2 });
    for (const h of c.heads) {
      expect(Math.abs(h.necessity)).toBeLessThan(1e-5);
      expect(Math.abs(h.direct)).toBeLessThan(1e-5);
    }
  });
});
