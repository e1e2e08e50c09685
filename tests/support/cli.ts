/** Runs a `rudder` command line in-process, as a person types it, capturing what it prints. */
import { vi } from 'vitest';
import { runCli } from '../../src/cli/cli';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function rudder(...argv: string[]): Promise<CliRun> {
  // Lines from console.log and raw writes (`rudder generate` streams its tokens) in order.
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s) => out.push(`${String(s)}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    return true;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  try {
    const code = await runCli(argv);
    return { code, stdout: out.join('').replace(/\n$/, ''), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    write.mockRestore();
    error.mockRestore();
  }
}
