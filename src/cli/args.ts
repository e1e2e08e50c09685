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
