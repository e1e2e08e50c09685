/** The experiment as a JSON file: pretty-printed to export, validated like a link to import. */
import { type Experiment, ExperimentSchema } from './schema';
import { asExperimentError, ExperimentError, experimentFrom } from './validate';

/** Larger than any experiment the schema allows; refuses arbitrary files before parsing them. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export function exportExperiment(exp: Experiment): string {
  return `${JSON.stringify(ExperimentSchema.parse(exp), null, 2)}\n`;
}

/** Parses an exported file; only ever throws ExperimentError. */
export function importExperiment(text: string): Experiment {
  if (text.length > MAX_FILE_BYTES) {
    throw new ExperimentError(
      'experiment-too-large',
      `This file is ${(text.length / 1024 / 1024).toFixed(1)} MB, larger than any Rudder experiment. Choose a file made with Export.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ExperimentError(
      'experiment-malformed',
      `This file is not JSON (${e instanceof Error ? e.message : String(e)}). Choose a file made with Export.`,
    );
  }
  try {
    return experimentFrom(data, 'file');
  } catch (e) {
    throw asExperimentError(e, 'file');
  }
}
