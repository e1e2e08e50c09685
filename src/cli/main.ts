/**
 * `rudder` on the command line: the same engine as the page, on the WebAssembly backend.
 *   rudder generate --model <dir|url|owner/name> --prompt "..." [--max-tokens --temperature --top-k --top-p --seed --chat]
 *   rudder inspect  --model ...
 *   rudder run      --model ... --prompt ... --cache <hook> [--cache <hook>...] --out acts.safetensors
 *   rudder steer | lens | circuit (steering vectors, the logit lens, the refusal circuit)
 * Errors go to stderr with a non-zero exit.
 */
import { RudderError } from '../engine/node';
import { UsageError } from './args';
import { generateCommand } from './generate';
import { inspectCommand } from './inspect';
import { runCommand } from './run';
import { STEER_USAGE, steerCommand } from './steer';

const USAGE = `Usage:
  rudder generate --model <dir|url|owner/name> --prompt <text> [--max-tokens N] [--temperature T]
                  [--top-k K] [--top-p P] [--seed S] [--chat] [--backend wasm|cpu]
  rudder inspect  --model <dir|url|owner/name> [--json]
  rudder run      --model <dir|url|owner/name> --prompt <text> --cache <hook name> [--cache ...]
                  --out <file.safetensors>
${STEER_USAGE}
  rudder lens     --model ... --prompt <text>        (JSON: top tokens per layer and position)
  rudder circuit  --model ...                        (JSON: the refusal circuit of a chat model)
  rudder fv | activity | sparsity | fingerprint | sae | introspect | export
                  (METHODS.md §13-§18 and patched-model export; each prints its usage with --help)`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  generate: generateCommand,
  inspect: inspectCommand,
  run: runCommand,
  steer: steerCommand,
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

async function main(argv: string[]): Promise<number> {
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

process.exitCode = await main(process.argv.slice(2));
