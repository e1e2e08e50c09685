/**
 * Function vectors (METHODS.md §13) on one of the organism's few-shot tasks: the heads' average
 * indirect effect (the top k outlined), held-out accuracy few-shot, zero-shot and zero-shot with the
 * FV, and the FV's own logit-lens readout; each with its exports. The task, k, layer and the
 * corrupted prompts the heads are patched into (zero-shot or shuffled labels) live in the
 * experiment's view, so a link opens on the same figures; "Steer with this FV" puts the FV in the
 * steering controls on a zero-shot query.
 */
import { useEffect, useId, useRef } from 'react';
import { FV_CORRUPTIONS } from '../../experiment';
import type { FunctionVectorOutcome, FunctionVectorProgress } from '../../worker';
import {
  editFvView,
  fvRequest,
  readFvTasks,
  runFunctionVector,
  steerExample,
  steerWithFunctionVector,
  stopFunctionVector,
} from '../actions/fv';
import { ExportButtons } from '../charts/ExportButtons';
import { useStore } from '../store';
import { AccuracyBars } from './fv/AccuracyBars';
import { AieGrid } from './fv/AieGrid';
import '../charts/charts.css';
import './fv/fv.css';

/** Typing k or the layer: wait for a pause before running again. */
const EDIT_DELAY_MS = 400;

/** What each corruption patches the heads into, as the select and the summary name it. */
const CORRUPTIONS: Record<(typeof FV_CORRUPTIONS)[number], string> = {
  'zero-shot': 'zero-shot queries',
  shuffled: 'shuffled-label prompts',
};

const STAGES: Record<FunctionVectorProgress['stage'], string> = {
  means: "Reading each head's mean output on the few-shot prompts",
  effects: 'Patching each head into the corrupted prompts',
  evaluate: 'Measuring held-out accuracy',
};

export function FunctionVectorView() {
  const model = useStore((s) => s.current);
  const settings = useStore((s) => s.experiment.view.fv);
  const tasks = useStore((s) => s.fvTasks);
  const job = useStore((s) => s.fv);
  const gridRef = useRef<SVGSVGElement>(null);
  const accuracyRef = useRef<SVGSVGElement>(null);
  const id = useId();
  const modelId = model?.id;
  const request = useStore((s) => fvRequest(s));

  useEffect(() => {
    if (modelId) readFvTasks();
  }, [modelId]);
  useEffect(() => {
    if (!request) return;
    const t = setTimeout(() => runFunctionVector(), EDIT_DELAY_MS);
    return () => clearTimeout(t);
  }, [request]);

  if (!model) return <p className="muted">Load a model to find its function vectors.</p>;
  const { nLayers: L, nHeads: H } = model.spec;
  const list = tasks.result ?? [];
  const running = job.status === 'running';
  // Stop leaves the job done with no request answered (actions/job.ts): the figures are older.
  const stopped = job.status === 'done' && job.key === undefined;
  const r = job.result?.modelId === model.id ? job.result : undefined;
  const shownTask = settings.task && !list.some((t) => t.name === settings.task) ? [settings.task] : [];
  return (
    <div className="fv-view" data-testid="fv-view" data-status={job.status}>
      <div className="fv-controls">
        <span className="field">
          <label htmlFor={`${id}-task`}>Task</label>
          <select
            id={`${id}-task`}
            value={settings.task ?? ''}
            onChange={(e) => editFvView({ task: e.target.value || undefined })}
          >
            <option value="">Pick a task…</option>
            {[...list.map((t) => t.name), ...shownTask].map((name) => (
              <option key={name} value={name}>
                {name.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </span>
        <span className="field">
          <label htmlFor={`${id}-k`}>Heads summed (k)</label>
          <input
            id={`${id}-k`}
            type="number"
            min={1}
            max={L * H}
            step={1}
            placeholder={String(Math.max(1, Math.ceil((L * H) / 8)))}
            value={settings.k ?? ''}
            onChange={(e) => {
              const v = e.target.value === '' ? undefined : Number(e.target.value);
              if (v === undefined || (Number.isInteger(v) && v >= 1 && v <= L * H)) editFvView({ k: v });
            }}
          />
        </span>
        <span className="field">
          <label htmlFor={`${id}-layer`}>Added at layer</label>
          <input
            id={`${id}-layer`}
            type="number"
            min={0}
            max={L - 1}
            step={1}
            placeholder={String(Math.round(L / 3))}
            value={settings.layer ?? ''}
            onChange={(e) => {
              const v = e.target.value === '' ? undefined : Number(e.target.value);
              if (v === undefined || (Number.isInteger(v) && v >= 0 && v < L)) editFvView({ layer: v });
            }}
          />
        </span>
        <span className="field">
          <label htmlFor={`${id}-corruption`}>Heads patched into</label>
          <select
            id={`${id}-corruption`}
            value={settings.corruption}
            onChange={(e) => editFvView({ corruption: e.target.value as (typeof FV_CORRUPTIONS)[number] })}
          >
            {FV_CORRUPTIONS.map((c) => (
              <option key={c} value={c}>
                {CORRUPTIONS[c]}
              </option>
            ))}
          </select>
        </span>
        {running ? (
          <button type="button" onClick={stopFunctionVector}>
            Stop
          </button>
        ) : (
          <button type="button" disabled={!settings.task} onClick={() => runFunctionVector(true)}>
            Run again
          </button>
        )}
      </div>
      {tasks.status === 'done' && list.length === 0 && (
        <p className="muted">
          {model.id} ships no few-shot tasks (datasets/icl_tasks.json): the organisms do.
        </p>
      )}
      {running && <Progress progress={job.progress} />}
      {stopped && (
        <p className="muted" data-testid="fv-stopped">
          Stopped{r ? `: the figures below are the last finished run's (${r.task.replaceAll('_', ' ')})` : ''}
          .
        </p>
      )}
      {job.status === 'error' && (
        <p className="error-text" role="alert">
          {job.error?.message}
        </p>
      )}
      {r && <Figures r={r} gridRef={gridRef} accuracyRef={accuracyRef} stale={running} />}
    </div>
  );
}

function Progress({ progress }: { readonly progress: FunctionVectorProgress | undefined }) {
  if (!progress) return <p className="muted">Starting…</p>;
  return (
    <p className="muted" role="status" data-testid="fv-progress">
      {STAGES[progress.stage]}
      {progress.total > 1 ? ` (${progress.done} of ${progress.total})` : ''}…
      <progress value={progress.done} max={Math.max(1, progress.total)} />
    </p>
  );
}

function Figures(props: {
  readonly r: FunctionVectorOutcome;
  readonly gridRef: React.RefObject<SVGSVGElement | null>;
  readonly accuracyRef: React.RefObject<SVGSVGElement | null>;
  readonly stale: boolean;
}) {
  const { r, gridRef, accuracyRef, stale } = props;
  const pct = (v: number) => `${Math.round(100 * v)}%`;
  const example = steerExample(r);
  const bars = [
    { id: 'few-shot', label: 'few-shot', value: r.fewShot },
    { id: 'zero-shot', label: 'zero-shot', value: r.zeroShot },
    { id: 'zero-shot-fv', label: 'zero-shot + FV', value: r.zeroShotFv },
  ];
  return (
    <div className="fv-figures" aria-busy={stale} data-task={r.task} data-corruption={r.corruption}>
      <p data-testid="fv-summary">
        {r.task.replaceAll('_', ' ')}: built from {r.built} few-shot prompts, measured on {r.heldOut} held
        out. Zero-shot accuracy {pct(r.zeroShot)} without the FV, {pct(r.zeroShotFv)} with it (few-shot{' '}
        {pct(r.fewShot)}). FV = the top {r.k} heads, found by patching into the {CORRUPTIONS[r.corruption]},
        added at layer {r.layer}.
      </p>
      <div className="fv-steer">
        <button type="button" onClick={steerWithFunctionVector} data-testid="fv-steer">
          Steer with this FV
        </button>
        {example && (
          <span className="muted">
            on the zero-shot query “{example.prompt}” (answer: {example.answer})
          </span>
        )}
      </div>
      <figure className="refusal-figure">
        <figcaption>
          Average indirect effect of each head: how much patching its mean few-shot output into the zero-shot
          queries raises P(answer). ★ the {r.k} heads summed into the FV.
        </figcaption>
        <AieGrid nLayers={r.nLayers} nHeads={r.nHeads} values={r.aie} chosen={r.heads} svgRef={gridRef} />
        <ExportButtons
          name="fv-aie"
          chart={gridRef}
          table={() => {
            const chosen = new Set(r.heads.map((h) => `${h.layer}.${h.head}`));
            return {
              header: ['layer', 'head', 'aie', 'in_fv'],
              rows: Array.from(r.aie, (v, i) => {
                const layer = Math.floor(i / r.nHeads);
                const head = i % r.nHeads;
                return [layer, head, v, chosen.has(`${layer}.${head}`) ? 1 : 0];
              }),
            };
          }}
        />
      </figure>
      <figure className="refusal-figure">
        <figcaption>
          Held-out accuracy ({r.heldOut} items): does the greedy reply start with the answer?
        </figcaption>
        <AccuracyBars bars={bars} svgRef={accuracyRef} />
        <ExportButtons
          name="fv-accuracy"
          chart={accuracyRef}
          table={() => ({
            header: ['prompt', 'answer', 'zero_shot', 'zero_shot_fv'],
            rows: [
              ...r.items.map((it) => [it.prompt, it.answer, it.zeroShot ? 1 : 0, it.zeroShotFv ? 1 : 0]),
              ['(accuracy)', '', r.zeroShot, r.zeroShotFv],
              ['(few-shot accuracy)', '', r.fewShot, ''],
            ],
          })}
        />
      </figure>
      <figure className="refusal-figure">
        <figcaption>
          The FV's readout: the tokens it promotes when read through the final norm and unembedding (the logit
          lens of the vector itself). Marked: the first token of a held-out answer ({pct(r.answersInReadout)}{' '}
          of the answers appear).
        </figcaption>
        <ol className="fv-readout" data-testid="fv-readout">
          {r.readout.map((t, i) => (
            <li
              key={i}
              className={r.readoutIsAnswer[i] ? 'answer' : undefined}
              data-answer={r.readoutIsAnswer[i]}
            >
              <code>{JSON.stringify(t)}</code>
            </li>
          ))}
        </ol>
        <ExportButtons
          name="fv-readout"
          table={() => ({
            header: ['rank', 'token', 'answer_start'],
            rows: r.readout.map((t, i) => [i + 1, t, r.readoutIsAnswer[i] ? 1 : 0]),
          })}
        />
      </figure>
    </div>
  );
}
