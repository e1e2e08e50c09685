/**
 * `rudder replay <link|experiment.json>`: the baseline and steered text the page shows for a shared
 * experiment. The link (or exported file) is read by the page's own decoder and run by the worker's
 * own host: the same validation, steering derivation, vector builds and generation job as the page,
 * so on the same backend the tokens are the page's. A link's activation fingerprint is checked
 * against this run by the same job as the page's banner, and the same sentence is printed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../engine/node';
import { decode, type Experiment, importExperiment } from '../experiment';
import { describeCheck } from '../worker/fingerprint-check';
import { createHost, type ModelHost } from '../worker/host';
import { helpRequested, parseWithTarget, UsageError } from './args';
import { loadModelAndSource, MODEL_OPTIONS } from './common';

export const REPLAY_USAGE = `  rudder replay   <link|experiment.json> [--model <dir|url|owner/name>] [--backend wasm|cpu]
                  [--precision bfloat16] [--json]
                  (the baseline and steered text the page shows for a shared link or an exported
                   experiment, and whether the run matches the author's activation fingerprint when
                   the link carries one; --model overrides the experiment's model, and is needed for one
                   the page was given as dropped files; a model the page rounded to 16-bit weights
                   is rounded here too)`;

/** The shipped models, as the page serves them from /models/<name>. */
const MODELS_DIR = resolve(import.meta.dirname, '../../models');

export async function replayCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${REPLAY_USAGE}`)) return;
  const { values, target } = parseWithTarget(args, '<link|experiment.json>', {
    ...MODEL_OPTIONS,
    json: { type: 'boolean' },
  });
  const experiment = await readExperiment(target);
  const { model, source } = await loadModelAndSource({
    ...values,
    model: values.model ?? modelArg(experiment),
    precision: values.precision ?? experiment.model.precision,
  });
  const host = createHost();
  // With its source, as the page's worker has it: norm units are measured on the folder's openings.
  host.adopt(model, source, { name: tf.getBackend() as BackendName, reason: 'the command line' });
  try {
    const out = await host.generate({ experiment, sides: 'both' });
    const replayed = {
      model: model.id,
      prompt: experiment.prompt.text,
      baseline: out.baseline?.text ?? '',
      steered: out.steered?.text ?? null,
      applied: out.steered?.applied ?? [],
      // The author's fingerprint, when the link carries one, checked against this run's.
      ...(experiment.fingerprint ? { fingerprint: await fingerprintCheck(host, experiment) } : {}),
    };
    if (values.json) {
      console.log(JSON.stringify(replayed));
      return;
    }
    console.log(`baseline: ${replayed.baseline}`);
    console.log(`steered: ${replayed.steered ?? '(nothing steers in this experiment)'}`);
    if (replayed.fingerprint) console.log(`fingerprint: ${replayed.fingerprint.summary}`);
  } finally {
    host.dispose();
  }
}

/** An exported experiment file, or a link (the whole address, or only the part after '#'). */
async function readExperiment(target: string): Promise<Experiment> {
  if (existsSync(target)) return importExperiment(await readFile(target, 'utf8'));
  const experiment = await decode(target.includes('#') ? target.slice(target.indexOf('#') + 1) : target);
  if (!experiment) throw new UsageError(`"${target}" holds no experiment after "#"`);
  return experiment;
}

/** The experiment's model as --model would name it. */
function modelArg(experiment: Experiment): string {
  const m = experiment.model;
  switch (m.kind) {
    case 'shipped':
      return resolve(MODELS_DIR, m.name);
    case 'hub':
      return m.revision ? `${m.repo}@${m.revision}` : m.repo;
    case 'url':
      if (/^https?:\/\//.test(m.url)) return m.url;
      throw new UsageError(
        `the experiment's model is ${m.url} on the page's own server; give --model <the folder it serves>`,
      );
    case 'files':
      throw new UsageError(
        `the experiment's model was a folder dropped on the page ("${m.label}"); give --model <that folder>`,
      );
  }
}

/** The replay's fingerprint against the author's, with the sentence the page's banner shows. */
async function fingerprintCheck(host: ModelHost, experiment: Experiment) {
  const { check, backend, precision } = await host.fingerprint({ experiment });
  return { ...check!, backend, precision, summary: describeCheck(check!, { backend, precision }) };
}
