import { describe, expect, it } from 'vitest';
import { decode, ExperimentSchema, encode } from '../../../src/experiment';
import {
  GateInterventionSchema,
  parseInterventions,
  SpecValidationError,
} from '../../../src/experiment/interventions';
import type { GateIntervention } from '../../../src/interp';

const GATE: GateIntervention = {
  kind: 'gate',
  heads: [
    { layer: 2, head: 1, mode: 'zero' },
    { layer: 3, head: 0, mode: 'mean' },
    { layer: 0, head: 3, mode: 'scale', factor: 0.25 },
  ],
};

describe('the gate intervention schema', () => {
  it('accepts zero, mean and scale gates unchanged through JSON', () => {
    expect(parseInterventions(JSON.parse(JSON.stringify([GATE])))).toEqual([GATE]);
    expect(GateInterventionSchema.parse({ kind: 'gate', heads: [] })).toEqual({ kind: 'gate', heads: [] });
  });

  it('rejects gates that compile could not run, naming the field', () => {
    const bad = (heads: unknown) => () => parseInterventions([{ kind: 'gate', heads }]);
    expect(bad([{ layer: 0, head: 0, mode: 'off' }])).toThrow(SpecValidationError);
    expect(bad([{ layer: -1, head: 0, mode: 'zero' }])).toThrow(/0\.heads\.0\.layer/);
    expect(bad([{ layer: 0, head: 1.5, mode: 'zero' }])).toThrow(/0\.heads\.0\.head/);
    expect(bad([{ layer: 0, head: 0, mode: 'scale' }])).toThrow(/factor/);
    expect(bad([{ layer: 0, head: 0, mode: 'scale', factor: 1e9 }])).toThrow(/factor/);
    expect(bad('L0.H0')).toThrow(/heads/);
  });

  it('travels in a link with the experiment', async () => {
    const exp = ExperimentSchema.parse({ version: 1, interventions: [GATE] });
    const back = await decode(await encode(exp));
    expect(back?.interventions).toEqual([GATE]);
  });
});
