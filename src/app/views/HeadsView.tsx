/**
 * Head gates: a layers × heads grid, coloured by a measure of the current prompt (direct logit
 * attribution, patching effect on the refusal score, or attention entropy), where clicking a head
 * gates it in the steered run. The gates are one `gate` intervention in the experiment, so they
 * travel in the link and edit() re-runs the steered continuation when they change. Hovering or
 * focusing a head shows its attention pattern over the prompt.
 */
import { useRef, useState } from 'react';
import type { HeadMeasure } from '../../worker';
import { edit } from '../actions/experiment';
import { ExportButtons } from '../charts/ExportButtons';
import { useStore } from '../store';
import { AttributionGrid } from './heads/AttributionGrid';
import { colorScale } from './heads/color';
import { type GateMode, gateOf, gatesOf, gateWords, toggleGate, withGates } from './heads/gates';
import { HeadGrid, type HeadRef } from './heads/HeadGrid';
import { PatternHeatmap } from './heads/PatternHeatmap';
import { useHeadScores, usePattern } from './heads/useHeadData';
import './heads/heads.css';

const MEASURES: readonly { readonly id: HeadMeasure; readonly label: string; readonly unit: string }[] = [
  { id: 'dla', label: 'Direct logit attribution', unit: 'DLA (logits)' },
  { id: 'patch', label: 'Patching effect on refusal', unit: 'patching effect (refusal log-odds)' },
  { id: 'entropy', label: 'Attention entropy', unit: 'entropy (nats)' },
];

export function HeadsView() {
  const model = useStore((s) => s.current);
  const interventions = useStore((s) => s.experiment.interventions);
  const [measure, setMeasure] = useState<HeadMeasure>('dla');
  const [tokens, setTokens] = useState<{ target: number; baseline: number } | undefined>();
  const [counterpart, setCounterpart] = useState('');
  const [clickMode, setClickMode] = useState<GateMode>('zero');
  const [factor, setFactor] = useState(0.5);
  const [hover, setHover] = useState<HeadRef | undefined>();
  const [shownHead, setShownHead] = useState<HeadRef | undefined>();
  const gridRef = useRef<SVGSVGElement>(null);
  const patternRef = useRef<SVGSVGElement>(null);

  const state = useHeadScores({ modelId: model?.id, measure, tokens, counterpart });
  const head = hover ?? shownHead;
  const { pattern, error: patternError } = usePattern(model?.id, head);

  if (!model) return <p className="empty">Load a model to see its attention heads.</p>;
  const { nLayers, nHeads } = model.spec;
  const gates = gatesOf({ interventions });
  const info = MEASURES.find((m) => m.id === measure)!;
  const scores = state.result?.measure === measure ? state.result : undefined;
  const values = scores && scores.values.length === nLayers * nHeads ? scores.values : undefined;
  const scale = values ? colorScale(values, measure === 'entropy' ? 'sequential' : 'diverging') : undefined;

  const onGate = (h: HeadRef, mode: GateMode | undefined) =>
    edit((e) => toggleGate(e, h.layer, h.head, mode ?? clickMode, factor));
  const onHover = (h: HeadRef | undefined) => {
    setHover(h);
    if (h) setShownHead(h);
  };

  const table = () => ({
    header: ['layer', 'head', measure, 'gate'],
    rows: Array.from({ length: nLayers * nHeads }, (_, i) => {
      const layer = Math.floor(i / nHeads);
      const h = i % nHeads;
      return [layer, h, values?.[i] ?? null, gateWords(gateOf(gates, layer, h))];
    }),
  });

  return (
    <div className="heads-view" data-testid="heads-view">
      <div className="heads-controls">
        <label>
          Colour by{' '}
          <select
            aria-label="Colour heads by"
            value={measure}
            onChange={(e) => setMeasure(e.target.value as HeadMeasure)}
          >
            {MEASURES.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        {measure === 'dla' && <TokenPickers scores={scores} tokens={tokens} onChange={setTokens} />}
        {measure === 'patch' && (
          <label>
            Counterpart{' '}
            <input
              aria-label="Counterpart prompt"
              placeholder="from the organism's sets"
              value={counterpart}
              onChange={(e) => setCounterpart(e.target.value)}
            />
          </label>
        )}
        <label>
          Click{' '}
          <select
            aria-label="Click gates by"
            value={clickMode}
            onChange={(e) => setClickMode(e.target.value as GateMode)}
          >
            <option value="zero">zeroes a head</option>
            <option value="mean">mean-ablates a head</option>
            <option value="scale">scales a head</option>
          </select>
        </label>
        <label>
          Scale{' '}
          <input
            aria-label="Scale factor"
            type="number"
            step={0.1}
            min={-100}
            max={100}
            value={factor}
            onChange={(e) => {
              const f = Number(e.target.value);
              if (Number.isFinite(f) && f >= -100 && f <= 100) setFactor(f);
            }}
          />
        </label>
        <button type="button" disabled={gates.length === 0} onClick={() => edit((e) => withGates(e, []))}>
          Clear gates
        </button>
      </div>
      <MeasureNote measure={measure} scores={scores} />
      <p className="muted heads-help">
        Click a head to zero it in the steered run, click again to restore. Shift-click: replace it by its
        mean over the model's neutral openings (or over the prompt for a model that ships none). Alt-click:
        scale it by the factor above. Keyboard: arrows move, Enter or Space gates (with Shift or Alt
        likewise). Scores are for the unsteered model.
      </p>
      <div className="heads-body">
        <div
          className="heads-grid-wrap"
          data-testid="heads-grid-wrap"
          data-status={state.status}
          data-run={state.runId}
          data-ms={scores?.ms}
        >
          <HeadGrid
            nLayers={nLayers}
            nHeads={nHeads}
            values={values}
            scale={scale}
            measureLabel={info.unit}
            gates={gates}
            onGate={onGate}
            onHover={onHover}
            svgRef={gridRef}
          />
          {state.status === 'running' && <p className="muted">Scoring heads…</p>}
          {state.status === 'error' && state.error && (
            <div className="error" role="alert" data-testid="heads-error" data-code={state.error.code}>
              {state.error.message}
            </div>
          )}
          <ExportButtons name={`heads-${measure}`} chart={gridRef} table={table} />
        </div>
        {measure === 'patch' && values && scores?.patch && (
          <AttributionGrid
            nLayers={nLayers}
            nHeads={nHeads}
            exact={values}
            attribution={scores.patch.attribution}
            correlation={scores.patch.correlation}
            gates={gates}
            onGate={onGate}
            onHover={onHover}
          />
        )}
        <div className="heads-pattern" aria-live="polite">
          {pattern ? (
            <>
              <h3>{`Attention of L${pattern.layer}.H${pattern.head}`}</h3>
              <PatternHeatmap pattern={pattern} svgRef={patternRef} />
              <ExportButtons
                name={`attention-L${pattern.layer}-H${pattern.head}`}
                chart={patternRef}
                table={() => ({
                  header: ['query', ...pattern.tokens.map((t, i) => `${i}:${t}`)],
                  rows: pattern.weights.map((row, q) => [`${q}:${pattern.tokens[q]}`, ...row]),
                })}
              />
            </>
          ) : (
            <p className="empty">Hover over or focus a head to see its attention pattern.</p>
          )}
          {patternError && (
            <div className="error" role="alert">
              {patternError.message}
            </div>
          )}
        </div>
      </div>
      <p className="muted" data-testid="gated-heads">
        {gates.length === 0
          ? 'No head is gated.'
          : `Gated in the steered run: ${gates.map((g) => `L${g.layer}.H${g.head} ${gateWords(g)}`).join(', ')}.`}
      </p>
    </div>
  );
}

function TokenPickers(props: {
  scores: ReturnType<typeof useHeadScores>['result'];
  tokens: { target: number; baseline: number } | undefined;
  onChange: (t: { target: number; baseline: number } | undefined) => void;
}) {
  const next = props.scores?.next ?? [];
  const dla = props.scores?.dla;
  const target = props.tokens?.target ?? dla?.target.id;
  const baseline = props.tokens?.baseline ?? dla?.baseline.id;
  const options = [...next];
  for (const t of [dla?.target, dla?.baseline]) if (t && !options.some((o) => o.id === t.id)) options.push(t);
  const pick = (which: 'target' | 'baseline', id: number) => {
    if (target === undefined || baseline === undefined) return;
    props.onChange({ target, baseline, [which]: id });
  };
  const opt = (t: (typeof options)[number]) => (
    <option key={t.id} value={t.id}>
      {`${JSON.stringify(t.text)}${Number.isFinite(t.prob) ? ` (${(t.prob * 100).toFixed(1)}%)` : ''}`}
    </option>
  );
  return (
    <>
      <label>
        logit of{' '}
        <select
          aria-label="Target token"
          value={target ?? ''}
          disabled={options.length === 0}
          onChange={(e) => pick('target', Number(e.target.value))}
        >
          {options.map(opt)}
        </select>
      </label>
      <label>
        minus{' '}
        <select
          aria-label="Baseline token"
          value={baseline ?? ''}
          disabled={options.length === 0}
          onChange={(e) => pick('baseline', Number(e.target.value))}
        >
          {options.map(opt)}
        </select>
      </label>
      {props.tokens && (
        <button type="button" onClick={() => props.onChange(undefined)}>
          Top two
        </button>
      )}
    </>
  );
}

function MeasureNote({
  measure,
  scores,
}: {
  measure: HeadMeasure;
  scores: ReturnType<typeof useHeadScores>['result'];
}) {
  if (measure === 'dla')
    return (
      <p className="heads-note" data-testid="measure-note">
        Each head's direct contribution to logit({JSON.stringify(scores?.dla?.target.text ?? '…')}) − logit(
        {JSON.stringify(scores?.dla?.baseline.text ?? '…')}) at the last position (the final norm held at this
        run's scale). Red heads push towards the first token, blue towards the second.
        {scores?.dla && ` The model's own difference is ${scores.dla.logitDiff.toFixed(2)}.`}
      </p>
    );
  if (measure === 'patch')
    return (
      <p className="heads-note" data-testid="measure-note">
        Activation patching: each head's output at the last position is copied from the current prompt (clean)
        into a run of a counterpart prompt (corrupt), one head at a time. The counterpart is a harmless
        request when the model refuses the current prompt and a harmful one when it answers, so that the two
        differ in whether the model refuses; the colour is how far the copy moves the counterpart's refusal
        score (log-odds of a refusal's first token). Red: towards refusing.
        {scores?.patch &&
          ` Counterpart (${scores.patch.from}): ${JSON.stringify(scores.patch.counterpart)}; refusal score ${scores.patch.clean.toFixed(2)} (prompt) vs ${scores.patch.corrupt.toFixed(2)} (counterpart).`}
      </p>
    );
  return (
    <p className="heads-note" data-testid="measure-note">
      Entropy of each head's attention from the last position, in nats: 0 means it looks at one token, ln(n)
      that it spreads evenly over all n.
    </p>
  );
}
