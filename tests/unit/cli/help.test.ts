/**
 * `rudder <command> --help` for every command (i16a's method commands included): the usage on
 * stdout, exit 0, nothing loaded. The commands' defaults are the page's (ExperimentSchema's).
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/cli';
import { defaultExperiment } from '../../../src/experiment';
import { rudder } from '../../support/cli';

describe('rudder --help', () => {
  it('lists every command', async () => {
    const { code, stdout } = await rudder('--help');
    expect(code).toBe(0);
    for (const name of Object.keys(COMMANDS))
      expect(stdout).toMatch(new RegExp(`rudder [^\\n]*\\b${name}\\b`));
  });

  it('exits 2 with the usage when no command is given', async () => {
    const { code, stdout } = await rudder();
    expect(code).toBe(2);
    expect(stdout).toMatch(/^Usage:/);
  });

  const names = Object.keys(COMMANDS);
  it.each(names)('rudder %s --help prints its usage and exits 0', async (name) => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await rudder(name, flag);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage:\\n +rudder ${name}\\b`));
    }
  });

  it('covers the commands a person finds in the usage', () => {
    expect(names).toEqual(
      expect.arrayContaining(['generate', 'inspect', 'run', 'steer', 'replay', 'lens', 'circuit']),
    );
    expect(names).toEqual(
      expect.arrayContaining(['fv', 'activity', 'sparsity', 'fingerprint', 'sae', 'introspect', 'export']),
    );
  });

  it("states the page's defaults in the usage of generate and steer", async () => {
    const d = defaultExperiment();
    const generate = (await rudder('generate', '--help')).stdout;
    expect(generate).toContain(`--max-tokens N (${d.generation.maxTokens})`);
    expect(generate).toContain(`--temperature T (${d.generation.temperature})`);
    expect(generate).toContain(`--seed S (${d.generation.seed})`);
    const steer = (await rudder('steer', '--help')).stdout;
    expect(steer).toContain(`(${d.steering.hook})`);
    expect(steer).toContain(`(${d.steering.position.kind})`);
    expect(steer).toContain(`--coefficient C (${d.steering.coefficient})`);
  });
});
