/**
 * Turning untrusted data (a link, a file) into an Experiment, or a typed error that says what
 * was wrong and what to do. The only errors that leave here are ExperimentError.
 */
import { RudderError } from '../interp';
import { EXPERIMENT_VERSION, type Experiment, ExperimentSchema } from './schema';

export type ExperimentErrorCode =
  /** Not an experiment link or file at all (wrong shape, bad characters). */
  | 'experiment-malformed'
  /** A link that was cut short (copied partially, shortened by a chat app). */
  | 'experiment-truncated'
  /** The bytes were changed: decompression, the checksum or JSON parsing failed. */
  | 'experiment-damaged'
  /** Well-formed, but a field is missing or out of range. */
  | 'experiment-invalid'
  /** Made by a newer Rudder. */
  | 'experiment-newer'
  /** Over the size limit. */
  | 'experiment-too-large';

export class ExperimentError extends RudderError {
  constructor(
    override readonly code: ExperimentErrorCode,
    message: string,
    /** zod's issues, for experiment-invalid. */
    readonly issues: readonly string[] = [],
  ) {
    super(code, message);
    this.name = 'ExperimentError';
  }
}

export type Origin = 'link' | 'file';

const WHAT: Record<Origin, string> = { link: 'This link', file: 'This file' };

/** Checks the version, then the schema; fills in defaults. */
export function experimentFrom(data: unknown, origin: Origin): Experiment {
  const what = WHAT[origin];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ExperimentError('experiment-malformed', `${what} does not hold a Rudder experiment.`);
  }
  const version = (data as { version?: unknown }).version;
  if (typeof version === 'number' && Number.isInteger(version) && version > EXPERIMENT_VERSION) {
    throw newerError(version, origin);
  }
  const r = ExperimentSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    const shown =
      issues.slice(0, 3).join('; ') + (issues.length > 3 ? `; and ${issues.length - 3} more` : '');
    throw new ExperimentError(
      'experiment-invalid',
      `${what} holds an experiment that is not valid (${shown}). It may have been edited by hand or made by a different tool; ask for a fresh ${origin}.`,
      issues,
    );
  }
  return r.data;
}

export function newerError(version: number, origin: Origin): ExperimentError {
  return new ExperimentError(
    'experiment-newer',
    `${WHAT[origin]} was made by a newer version of Rudder (experiment version ${version}; this page reads version ${EXPERIMENT_VERSION}). Reload the page to get the latest Rudder, then open it again.`,
  );
}

/** Anything thrown while reading untrusted data becomes an ExperimentError. */
export function asExperimentError(e: unknown, origin: Origin): ExperimentError {
  if (e instanceof ExperimentError) return e;
  return new ExperimentError(
    'experiment-damaged',
    `${WHAT[origin]} could not be read (${e instanceof Error ? e.message : String(e)}).`,
  );
}
