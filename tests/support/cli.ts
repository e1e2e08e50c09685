/** Runs a `rudder` command line in-process, as a person types it, capturing what it prints. */
import { vi } from 'vitest';
import { runCli } from '../../src/cli/cli';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function rudder(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  const error = vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  try {
    const code = await runCli(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
