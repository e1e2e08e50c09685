import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Options and exactly one positional argument (what the command acts on, named `what` in errors). */
export function parseWithTarget<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  what: string,
  options: O,
) {
  let parsed: { values: ReturnType<typeof parse<O>>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== 1)
    throw new UsageError(`give one ${what}, got ${parsed.positionals.length || 'none'}`);
  return { values: parsed.values, target: parsed.positionals[0]! };
}

/** A numeric option, or the default; a non-number is a usage error naming the option. */
export function num(values: Record<string, unknown>, name: string, fallback: number): number;
export function num(values: Record<string, unknown>, name: string, fallback?: number): number | undefined;
export function num(values: Record<string, unknown>, name: string, fallback?: number): number | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

/** Prints `usage` and returns true when the arguments ask for help (`--help` or `-h`). */
export function helpRequested(args: readonly string[], usage: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  console.log(usage);
  return true;
}

/** A comma-separated list of numbers ("1,2,4"); a non-number is a usage error naming the option. */
export function numbers(
  values: Record<string, unknown>,
  name: string,
  fallback: readonly number[],
): number[] {
  const v = values[name];
  if (v === undefined) return [...fallback];
  const out = String(v)
    .split(',')
    .map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n)))
    throw new UsageError(`--${name} must be numbers separated by commas, got "${v}"`);
  return out;
}
