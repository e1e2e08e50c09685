/**
 * The logit lens view: what each layer would predict at each prompt position, for the baseline
 * and the steered run, updating live as the prompt, the strength and the interventions change.
 * Hover a cell for its top tokens; click one to track that token across layers. Which grid, which
 * measure, which lens and which token are part of the experiment's view, so a link restores them.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { LensViewSettings } from '../../experiment';
import type { LensOutcome } from '../../worker';
import { edit } from '../actions/experiment';
import { followLens } from '../actions/lens';
import { ExportButtons } from '../charts/ExportButtons';
import { useStore } from '../store';
import { lensTable, MEASURE_LABELS, shownGrid, tokenLabel, topTokens, trackTable } from './lens/grid';
import { type CellRef, Heatmap } from './lens/Heatmap';
import { TrackChart } from './lens/TrackChart';
import './lens/lens.css';

function editLens(patch: Partial<LensViewSettings>): void {
  edit((e) => ({ ...e, view: { ...e.view, lens: { ...e.view.lens, ...patch } } }));
}

function untrack(): void {
  edit((e) => {
    const { track: _, ...rest } = e.view.lens;
    return { ...e, view: { ...e.view, lens: rest } };
  });
}

const MODES: readonly { id: LensViewSettings['mode']; label: string }[] = [
  { id: 'baseline', label: 'Baseline' },
  { id: 'steered', label: 'Steered' },
  { id: 'difference', label: 'Difference' },
];

export function LensView() {
  const model = useStore((s) => s.current);
  const lens = useStore((s) => s.lens);
  const settings = useStore((s) => s.experiment.view.lens);
  const id = useId();
  const heatmap = useRef<SVGSVGElement>(null);
  const track = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<CellRef>();
  const [trackPos, setTrackPos] = useState<number>();

  useEffect(() => (model ? followLens() : undefined), [model]);

  if (!model) return <p className="empty">Load a model to see its lens.</p>;
  const o = lens.result;
  const pick = (cell: CellRef) => {
    if (!o) return;
    const g = shownGrid(o, settings.mode);
    setTrackPos(cell.pos);
    editLens({ track: g.topIds[(cell.row * o.tokens.length + cell.pos) * o.k]! });
  };
  return (
    <div className="lens-view" data-testid="lens-view" data-status={lens.status} data-run={lens.runId}>
      <div className="lens-controls">
        <fieldset className="lens-modes">
          <legend className="visually-hidden">Which run</legend>
          {MODES.map((m) => (
            <label key={m.id} className="check">
              <input
                type="radio"
                name={`${id}-mode`}
                checked={settings.mode === m.id}
                onChange={() => editLens({ mode: m.id })}
              />{' '}
              {m.label}
            </label>
          ))}
        </fieldset>
        <label htmlFor={`${id}-measure`}>Colour by</label>
        <select
          id={`${id}-measure`}
          value={settings.measure}
          onChange={(e) => editLens({ measure: e.target.value as LensViewSettings['measure'] })}
        >
          {Object.entries(MEASURE_LABELS).map(([m, label]) => (
            <option key={m} value={m}>
              {label}
            </option>
          ))}
        </select>
        <label
          className="check"
          title={o && !o.tunedAvailable ? (o.tunedError ?? 'This model ships no tuned lens.') : ''}
        >
          <input
            type="checkbox"
            checked={settings.kind === 'tuned'}
            disabled={!o?.tunedAvailable && settings.kind !== 'tuned'}
            onChange={(e) => editLens({ kind: e.target.checked ? 'tuned' : 'logit' })}
          />{' '}
          Tuned lens
        </label>
        <span className="muted" data-testid="lens-status" aria-live="polite">
          {statusText(lens.status, o)}
        </span>
      </div>
      {lens.error && (
        <p role="alert" className="error" data-testid="lens-error" data-code={lens.error.code}>
          {lens.error.message}
        </p>
      )}
      {o && settings.kind === 'tuned' && o.kind === 'logit' && (
        <p className="note">{o.tunedError ?? 'This model ships no tuned lens; showing the logit lens.'}</p>
      )}
      {o && settings.mode !== 'baseline' && !o.steered && (
        <p className="muted">Nothing steers yet (add pairs and move the strength): showing the baseline.</p>
      )}
      {o ? (
        <>
          <div className="lens-scroll" data-testid="lens-scroll">
            <Heatmap
              outcome={o}
              mode={settings.mode}
              measure={settings.measure}
              svgRef={heatmap}
              onHover={setHover}
              onPick={pick}
            />
            {hover && hover.row < o.rows.length && hover.pos < o.tokens.length && (
              <Tooltip outcome={o} cell={hover} mode={settings.mode} />
            )}
          </div>
          {settings.mode === 'difference' && settings.measure === 'kl' && o.steered && (
            <p className="muted">
              KL is to each run's own final layer, so layers before the steered one change too: their
              predictions stay, the model's final one moved.
            </p>
          )}
          <ExportButtons name="logit-lens" chart={heatmap} table={() => lensTable(o)} />
          {settings.track !== undefined && o.tracked[0] === settings.track && (
            <Tracked
              outcome={o}
              position={Math.min(trackPos ?? o.tokens.length - 1, o.tokens.length - 1)}
              svgRef={track}
            />
          )}
        </>
      ) : (
        <p className="empty">{lens.status === 'running' ? 'Reading the lens…' : ''}</p>
      )}
    </div>
  );
}

function statusText(status: string, o: LensOutcome | undefined): string {
  if (status === 'running') return 'Updating…';
  if (!o) return '';
  return `${o.kind === 'tuned' ? 'Tuned' : 'Logit'} lens · ${o.tokens.length} positions · ${o.ms} ms`;
}

/** Fixed to the window, below the cell, or above it near the window's bottom edge. */
function tooltipPlace(cell: CellRef): React.CSSProperties {
  const b = cell.box;
  if (!b) return { display: 'none' };
  const left = b.left + b.width / 2;
  return b.bottom + 200 > window.innerHeight
    ? { left, top: b.top - 4, transform: 'translate(-50%, -100%)' }
    : { left, top: b.bottom + 4 };
}

function Tooltip(props: {
  readonly outcome: LensOutcome;
  readonly cell: CellRef;
  readonly mode: LensViewSettings['mode'];
}) {
  const { outcome: o, cell, mode } = props;
  const index = cell.row * o.tokens.length + cell.pos;
  const runs: [string, LensOutcome['baseline']][] =
    mode === 'difference' && o.steered
      ? [
          ['Baseline', o.baseline],
          ['Steered', o.steered],
        ]
      : [[mode === 'baseline' || !o.steered ? 'Baseline' : 'Steered', shownGrid(o, mode)]];
  return (
    <div className="lens-tooltip" role="tooltip" data-testid="lens-tooltip" style={tooltipPlace(cell)}>
      <div className="lens-tooltip-head">
        {o.rows[cell.row]!.label} · position {cell.pos} ({tokenLabel(o.texts[o.tokens[cell.pos]!])})
      </div>
      {runs.map(([name, g]) => (
        <div key={name}>
          {runs.length > 1 && <div className="muted">{name}</div>}
          <ol className="lens-topk">
            {topTokens(o, g, index).map((t) => (
              <li key={t.id}>
                <span className="lens-topk-token">{t.text}</span> <span>{(t.p * 100).toFixed(1)}%</span>
              </li>
            ))}
          </ol>
          <div className="muted">
            entropy {g.entropy[index]!.toFixed(2)} · KL {g.kl[index]!.toFixed(2)} nats
          </div>
        </div>
      ))}
    </div>
  );
}

function Tracked(props: {
  readonly outcome: LensOutcome;
  readonly position: number;
  readonly svgRef: React.RefObject<SVGSVGElement | null>;
}) {
  const { outcome: o, position } = props;
  const token = o.tracked[0]!;
  return (
    <div className="lens-tracked" data-testid="lens-tracked" data-token-id={token}>
      <div className="banner">
        <span>
          Tracking <strong className="lens-topk-token">{tokenLabel(o.texts[token])}</strong> at position{' '}
          {position} ({tokenLabel(o.texts[o.tokens[position]!])})
        </span>
        <button type="button" onClick={untrack}>
          Stop tracking
        </button>
      </div>
      <TrackChart outcome={o} position={position} svgRef={props.svgRef} />
      <ExportButtons name="lens-tracked-token" chart={props.svgRef} table={() => trackTable(o, position)} />
    </div>
  );
}
