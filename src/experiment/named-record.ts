/**
 * Records keyed by names that a person (or a link) chose: `vectors` and `planes`. Any name must
 * work, or fail alone: zod's own record refuses a whole object that has an own "constructor" key
 * (its plain-object test reads that key) and silently drops "__proto__", and a plain object
 * answers a lookup of an absent "toString" with Object.prototype's function. So the entries are
 * checked as a Map (an issue's path still names the entry) and come out in an object without a
 * prototype, where every key is data.
 */
import { LIMITS } from './limits';
import { z } from './zod';

const NAME = z.string().min(1).max(LIMITS.nameChars);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);

/** An object without a prototype holding `entries`. */
export function emptyRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) out[name] = value;
  return out;
}

/**
 * A record of up to LIMITS.named entries named by any string of 1 to LIMITS.nameChars characters;
 * empty when absent.
 */
export function namedRecord<V extends z.ZodType>(value: V) {
  return z
    .preprocess(
      (input: Readonly<Record<string, z.input<V>>>) =>
        isRecord(input) ? new Map(Object.entries(input)) : input,
      z
        .map(NAME, value, { error: 'must be an object of named entries' })
        .refine((m) => m.size <= LIMITS.named, `must hold at most ${LIMITS.named} entries`),
    )
    .transform((m) => emptyRecord<z.output<V>>(m))
    .default(() => emptyRecord<z.output<V>>());
}
