/**
 * Generation: the baseline and the steered continuation side by side, streamed into the results
 * slice. A newer run supersedes an older one (the worker cancels it between tokens); events of
 * an older run are dropped by run id.
 */
import { steeringStrength } from '../../experiment';
import { type Generation, useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './errors';
import { steeredRequest } from './steered';

const { getState, setState } = useStore;

type Side = 'generation' | 'steered';

/** What the current baseline continues: re-running only the steered side is valid while it holds. */
let baselineFor = '';

/**
 * both: the Generate button (baseline and, when there are pairs, steered). steered: a steering
 * edit; falls back to both while the baseline is missing, running or stale.
 */
export async function generate(mode: 'both' | 'steered' = 'both'): Promise<void> {
  setState({ live: true });
  const model = getState().current;
  if (!model) return;
  let request: Awaited<ReturnType<typeof steeredRequest>>;
  try {
    request = await steeredRequest(model);
  } catch (e) {
    // The experiment does not fit this model (a layer it lacks): the run cannot start.
    setState((s) => ({ generation: { ...s.generation, status: 'error', error: errorOf(e) } }));
    return;
  }
  const { experiment: exp, steering, vectors, planes, units, label } = request;
  const key = JSON.stringify([model.id, exp.prompt, exp.generation]);
  const base = getState().generation;
  if (mode === 'steered' && (base.status !== 'done' || baselineFor !== key)) mode = 'both';
  if (mode === 'steered' && steering.length === 0) {
    setState((s) => ({ steered: { ...idle(s.steered) } }));
    return;
  }

  // Greedy rows batch together, so the baseline row rides along for free (and is ignored);
  // sampled rows run one per call, so only the steered one runs.
  const greedy = exp.generation.temperature <= 0;
  const sides: (Side | undefined)[] =
    mode === 'both'
      ? steering.length > 0
        ? ['generation', 'steered']
        : ['generation']
      : greedy
        ? [undefined, 'steered']
        : ['steered'];
  const rows = sides.map((side) => (side === 'steered' ? steering : []));
  const prompt = exp.prompt.text;
  const runIds: Partial<Record<Side, number>> = {};
  const start: Partial<Record<Side, Generation>> = {};
  for (const side of sides) {
    if (!side) continue;
    runIds[side] = getState()[side].runId + 1;
    start[side] = {
      runId: runIds[side]!,
      status: 'running',
      prompt,
      text: '',
      tokenCount: 0,
      ...(side === 'steered' ? { coefficient: steeringStrength(exp.steering), applied: label } : {}),
    };
  }
  if (mode === 'both' && steering.length === 0) start.steered = idle(getState().steered);
  setState(start);
  if (mode === 'both') baselineFor = key;
  const current = (side: Side) => getState()[side].runId === runIds[side];
  // Streamed tokens travel on the callback's own message port, so one can arrive after the final
  // result; once the result is in, it is the whole text and late tokens are dropped.
  let finished = false;
  try {
    const out = await modelWorker().generateRows(
      {
        prompt,
        chat: exp.prompt.chat,
        maxTokens: exp.generation.maxTokens,
        temperature: exp.generation.temperature,
        topP: exp.generation.topP,
        seed: exp.generation.seed,
        vectors,
        planes,
        units,
        rows,
      },
      (t) => {
        const side = sides[t.row];
        if (finished || !side || !current(side)) return;
        setState((s) => ({ [side]: { ...s[side], text: s[side].text + t.text, tokenCount: t.index + 1 } }));
      },
    );
    finished = true;
    sides.forEach((side, row) => {
      const r = out.rows[row];
      if (!side || !r || !current(side)) return;
      setState({
        [side]: {
          ...start[side]!,
          status: 'done',
          text: r.text,
          tokenCount: r.tokens.length,
          stopReason: r.stopReason,
          ms: out.ms,
        },
      });
    });
  } catch (e) {
    finished = true;
    const error = errorOf(e);
    for (const side of sides) {
      if (!side || !current(side)) continue;
      // Stopped before its first token.
      if (error.code === 'cancelled')
        setState((s) => ({ [side]: { ...s[side], status: 'done', stopReason: 'cancelled' } }));
      else setState((s) => ({ [side]: { ...s[side], status: 'error', error } }));
    }
  }
}

function idle(g: Generation): Generation {
  return { runId: g.runId + 1, status: 'idle', prompt: '', text: '', tokenCount: 0 };
}

export function stop(): void {
  void modelWorker().cancel();
}
