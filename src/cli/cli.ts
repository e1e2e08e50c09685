/**
 * `rudder` on the command line: the same engine as the page, on the WebAssembly backend. Every
 * command prints its usage with `--help` (exit 0); errors go to stderr with a non-zero exit.
 * main.ts runs `runCli` on the process's arguments; tests run it in-process.
 */
import { RudderError } from '../engine/node';
import { UsageError } from './args';
import { CIRCUIT_USAGE } from './circuit';
import { GENERATE_USAGE, generateCommand } from './generate';
import { INSPECT_USAGE, inspectCommand } from './inspect';
import { LENS_USAGE } from './lens';
import { REPLAY_USAGE } from './replay';
import { RUN_USAGE, runCommand } from './run';
import { STEER_USAGE, steerCommand } from './steer';

export const USAGE = `Usage:
${GENERATE_USAGE}
${INSPECT_USAGE}
${RUN_USAGE}
${STEER_USAGE}
${REPLAY_USAGE}
${LENS_USAGE}
${CIRCUIT_USAGE}
  rudder fv | activity | sparsity | fingerprint | sae | introspect | export
                  (METHODS.md §13-§18 and patched-model export; each prints its usage with --help)

Every command that loads --model also takes --backend wasm|cpu and --precision bfloat16 (the
model's matrices rounded to bfloat16 as it loads: half the memory, faster generation; inspect
gives the memory that needs).`;

/** Every command; the heavier ones are imported when they run. */
export const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  generate: generateCommand,
  inspect: inspectCommand,
  run: runCommand,
  steer: steerCommand,
  replay: (args) => import('./replay').then((m) => m.replayCommand(args)),
  lens: (args) => import('./lens').then((m) => m.lensCommand(args)),
  circuit: (args) => import('./circuit').then((m) => m.circuitCommand(args)),
  fv: (args) => import('./methods').then((m) => m.fvCommand(args)),
  activity: (args) => import('./analyses').then((m) => m.activityCommand(args)),
  sparsity: (args) => import('./analyses').then((m) => m.sparsityCommand(args)),
  fingerprint: (args) => import('./analyses').then((m) => m.fingerprintCommand(args)),
  sae: (args) => import('./sae').then((m) => m.saeCommand(args)),
  introspect: (args) => import('./methods').then((m) => m.introspectCommand(args)),
  export: (args) => import('./methods').then((m) => m.exportCommand(args)),
};

/** Runs one command line (without the program name); resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const fn = COMMANDS[command];
  if (!fn) {
    console.error(`rudder: unknown command "${command}".\n${USAGE}`);
    return 2;
  }
  try {
    await fn(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`rudder ${command}: ${e.message}\n${USAGE}`);
      return 2;
    }
    const message = e instanceof RudderError ? e.message : ((e as Error).stack ?? String(e));
    console.error(`rudder ${command}: ${message}`);
    return 1;
  }
}
