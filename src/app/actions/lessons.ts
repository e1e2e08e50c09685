/**
 * The lessons' job: what a lesson's answer is checked against, computed from the loaded model
 * when the person asks for a check, never a figure from one training run. Everything comes from
 * the worker (the lens, the vector and its lens) for the prompt the page shows, with the
 * experiment's own interventions.
 */
import { type Experiment, type Lesson, steeredPlan } from '../../experiment';
import type { Intervention, LensOutcome, LoadedModel } from '../../worker';
import { type Facts, isRefusalStart, isYes } from '../lessons/check';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { runJob } from './job';
import { syncVector } from './vector';

/** Either the facts, or a sentence that says what to do before the answer can be checked. */
export type FactsOutcome = { readonly facts: Facts } | { readonly notReady: string };

/** `own` is the lesson's experiment: the question is about its prompt. */
export async function lessonFacts(lesson: Lesson, own: Experiment): Promise<FactsOutcome> {
  const { current: model, experiment: exp, fv } = useStore.getState();
  if (!model) return { notReady: 'Wait for the model to load, then check again.' };
  const check = lesson.check;
  // About the task's FV, whatever the prompt ("Steer with this FV" changes it).
  if (check.kind === 'fv-readout') {
    const r = fv.result;
    if (!r || r.modelId !== model.id || r.task !== check.task)
      return {
        notReady: `In the Function vectors tab, pick the task "${check.task.replaceAll('_', ' ')}" and wait for its figures; then check again.`,
      };
    return { facts: r };
  }
  if (own.prompt.text !== exp.prompt.text || own.prompt.chat !== exp.prompt.chat)
    return {
      notReady:
        "The question is about the lesson's prompt, which was changed. Click Restart lesson to bring it back.",
    };
  switch (check.kind) {
    case 'lens-first-layer':
      return { facts: lastPositionTops(await lens(exp, 1)) };
    case 'weakest-layer': {
      const info = await syncVector();
      if (!info)
        return {
          notReady: 'The vector is not built yet: add pairs, wait for the layer strip, then check again.',
        };
      return { facts: { separation: info.perLayer.map((l) => l.separation) } };
    }
    case 'refusal-verdict':
      return refusalFacts(exp, model, check.needs);
    case 'gate-head':
      return headFacts(exp, model);
    case 'introspection-yes':
      return introspectionFacts(exp);
    case 'vector-lens-sentiment': {
      if (exp.steering.pairs.length === 0 && !exp.steering.vector)
        return { notReady: 'The lesson needs its pairs: click Restart lesson.' };
      const info = await ask(() => modelWorker().vectorLens({ experiment: exp, k: check.top }));
      if (!info) return { notReady: 'The vector could not be read: check again.' };
      return { facts: { layer: info.layer, promoted: info.promoted.slice(0, check.top).map((t) => t.text) } };
    }
  }
}

/**
 * A lens request of the lesson's own: the logit lens of the experiment as it is (the lens view may
 * show the tuned one), `k` tokens per cell. The lens view's own request may cancel it: runJob asks again.
 */
async function lens(exp: Experiment, k: number): Promise<LensOutcome> {
  const experiment = { ...exp, view: { ...exp.view, lens: { ...exp.view.lens, kind: 'logit' as const } } };
  const out = await ask(() => modelWorker().lens({ experiment, k }));
  if (!out) throw new Error(useStore.getState().lessonCheck.error?.message ?? 'the lens did not answer');
  return out;
}

/** Runs one of the check's worker calls in the lesson's job state. */
function ask<R>(call: () => Promise<R>): Promise<R | undefined> {
  return runJob(['lessonCheck'], {
    request: 'check',
    force: true,
    call,
    results: () => ({ lessonCheck: true }),
  });
}

function lastPositionTops(out: LensOutcome) {
  const positions = out.tokens.length;
  const top = out.rows.map((_, r) => {
    const id = out.baseline.topIds[(r * positions + positions - 1) * out.k];
    return id === undefined ? '' : (out.texts[id] ?? '');
  });
  return { rows: out.rows.map((r) => ({ label: r.label, layer: r.layer, point: r.point })), top };
}

/**
 * P(the next token passes `test`) at the last position of the last row (the model's own), over
 * the lens's top k (a lower bound; k = REFUSAL_K holds nearly all of a small model's mass).
 */
function startProbability(
  out: LensOutcome,
  grid: 'baseline' | 'steered',
  test: (t: string) => boolean,
): number {
  const g = out[grid] ?? out.baseline;
  const positions = out.tokens.length;
  const start = ((out.rows.length - 1) * positions + positions - 1) * out.k;
  let p = 0;
  for (let j = 0; j < out.k; j++) {
    const id = g.topIds[start + j];
    if (id !== undefined && test(out.texts[id] ?? '')) p += g.topProbs[start + j] ?? 0;
  }
  return p;
}

/** The next token's most likely text at the last position of the last row. */
function topStart(out: LensOutcome, grid: 'baseline' | 'steered'): string {
  const g = out[grid] ?? out.baseline;
  const positions = out.tokens.length;
  const id = g.topIds[((out.rows.length - 1) * positions + positions - 1) * out.k];
  return id === undefined ? '' : (out.texts[id] ?? '');
}

const refusalProbability = (out: LensOutcome, grid: 'baseline' | 'steered') =>
  startProbability(out, grid, isRefusalStart);

/** P(the reply starts "yes") with and without the steering loop's injection (§18's question). */
async function introspectionFacts(exp: Experiment): Promise<FactsOutcome> {
  const coefficient = exp.steering.coefficient;
  if (coefficient === 0 || (exp.steering.pairs.length === 0 && !exp.steering.vector))
    return {
      notReady:
        'Nothing is injected at strength 0: move the slider as the steps say (the vector must be built), then check again.',
    };
  const out = await lens(exp, REFUSAL_K);
  return {
    facts: {
      baseline: startProbability(out, 'baseline', isYes),
      steered: startProbability(out, 'steered', isYes),
      baselineTop: topStart(out, 'baseline'),
      steeredTop: topStart(out, 'steered'),
      coefficient,
    },
  };
}

const logOdds = (p: number) => {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.log(q / (1 - q));
};

/** Enough top tokens per cell to hold nearly all of a small model's first-token mass. */
const REFUSAL_K = 20;

async function refusalFacts(
  exp: Experiment,
  model: LoadedModel,
  needs: 'ablate' | 'add',
): Promise<FactsOutcome> {
  const steered = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).interventions;
  const applied = steered.some((iv) => iv.kind === needs && (iv.kind !== 'add' || iv.coefficient !== 0));
  if (!applied)
    return {
      notReady:
        needs === 'ablate'
          ? 'In the Refusal circuit tab, find the refusal direction and click "Ablate the direction" first; then check again.'
          : 'In the Refusal circuit tab, find the refusal direction and click "Add it" first; then check again.',
    };
  const out = await lens(exp, REFUSAL_K);
  return {
    facts: { baseline: refusalProbability(out, 'baseline'), steered: refusalProbability(out, 'steered') },
  };
}

/** The refusal log-odds with each head zero-gated in turn (one lens pass per head). */
async function headFacts(exp: Experiment, model: LoadedModel): Promise<FactsOutcome> {
  const { nLayers, nHeads } = model.spec;
  const heads: { layer: number; head: number; score: number }[] = [];
  let base = 0;
  for (let layer = 0; layer < nLayers; layer++) {
    for (let head = 0; head < nHeads; head++) {
      const gate: Intervention = { kind: 'gate', heads: [{ layer, head, mode: 'zero' }] };
      const out = await lens(onlyThis(exp, gate), REFUSAL_K);
      base = logOdds(refusalProbability(out, 'baseline'));
      heads.push({ layer, head, score: logOdds(refusalProbability(out, 'steered')) });
    }
  }
  return { facts: { base, heads } };
}

/** The experiment with its steering loop and interventions replaced by one intervention. */
function onlyThis(exp: Experiment, iv: Intervention): Experiment {
  return { ...exp, steering: { ...exp.steering, pairs: [], vector: undefined }, interventions: [iv] };
}
