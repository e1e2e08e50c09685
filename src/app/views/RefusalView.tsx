/**
 * The refusal circuit view: find the refusal direction (docs/METHODS.md §5, with progress and every
 * candidate's scores), see where the current prompt stands along it layer by layer, apply the
 * classic interventions with it, and trace the circuit of heads that routes the refusal (§9),
 * where clicking a head gates it. Results live in the store's refusal slice; what is applied lives
 * in the Experiment, so a link replays it.
 */
import { useEffect, useRef } from 'react';
import type { RefusalFound, RefusalProgress } from '../../worker';
import {
  currentRecipe,
  findCircuit,
  findDirection,
  loadOwnSets,
  REFUSAL,
  refreshProfile,
  toggleHead,
} from '../actions/refusal';
import { ExportButtons } from '../charts/ExportButtons';
import { fmt } from '../charts/scale';
import { MethodLink } from '../explain';
import { ModelExport } from '../panels/ModelExport';
import { useStore } from '../store';
import { gatesOf } from './heads/gates';
import { CandidatesChart } from './refusal/CandidatesChart';
import { CircuitGraph } from './refusal/CircuitGraph';
import { OpControls } from './refusal/OpControls';
import { ProfileChart } from './refusal/ProfileChart';
import { SetsEditor } from './refusal/SetsEditor';
import '../charts/charts.css';
import './refusal/refusal.css';

/** Typing in the prompt: wait for a pause before re-reading it along the direction. */
const PROFILE_DELAY_MS = 250;

const STAGES: Record<RefusalProgress['stage'], string> = {
  filter: 'Keeping the harmful prompts it refuses and the harmless ones it answers',
  candidates: 'Reading the candidate directions (difference of means per layer and position)',
  score: 'Scoring candidates (bypass, induce, KL)',
};

export function RefusalView() {
  const model = useStore((s) => s.current);
  const exp = useStore((s) => s.experiment);
  const find = useStore((s) => s.refusalFind);
  const profile = useStore((s) => s.refusalProfile);
  const circuit = useStore((s) => s.refusalCircuit);
  const ownSets = useStore((s) => s.refusalOwn);
  const recipe = useStore(currentRecipe);
  const candidatesRef = useRef<SVGSVGElement>(null);
  const profileRef = useRef<SVGSVGElement>(null);
  const circuitRef = useRef<SVGSVGElement>(null);
  const modelId = model?.id;
  const recipeKey = recipe ? JSON.stringify([recipe.layer, recipe.position, recipe.model]) : '';

  useEffect(() => {
    if (modelId) void loadOwnSets();
  }, [modelId]);
  // Re-read when the prompt or the direction changes.
  useEffect(() => {
    if (!modelId || !recipeKey) return;
    const t = setTimeout(() => void refreshProfile(), PROFILE_DELAY_MS);
    return () => clearTimeout(t);
  }, [modelId, recipeKey, exp.prompt.text, exp.prompt.chat]);

  if (!model) return <p className="empty">Load a model to find its refusal direction.</p>;
  if (!model.hasChatTemplate)
    return (
      <p className="empty">
        {model.id} has no chat template: the refusal direction is read in the assistant's turn, so this view
        needs a chat model (the shipped organisms have one).
      </p>
    );

  const found = find.result?.modelId === model.id ? find.result : undefined;
  const own = ownSets?.modelId === model.id ? ownSets.sets : undefined;
  const running = find.status === 'running';
  const stale = recipe && recipe.model !== model.id;
  const canRotate = exp.planes[REFUSAL] !== undefined || found?.plane !== undefined;

  return (
    <div className="refusal-view" data-testid="refusal-view">
      <div className="refusal-find">
        <button
          type="button"
          onClick={() => void findDirection()}
          disabled={running}
          data-testid="find-refusal"
        >
          {running ? 'Finding…' : found ? 'Find it again' : 'Find the refusal direction'}
        </button>
        {running && <FindProgress progress={find.progress} />}
        {find.status === 'error' && find.error && (
          <p className="error-text" role="alert">
            {find.error.message}
          </p>
        )}
      </div>
      <SetsEditor own={own} edited={exp.refusal} />

      {found && <FindSummary found={found} />}
      {found && (
        <figure className="refusal-figure">
          <figcaption>
            Every candidate's scores (<MethodLink n={5}>the method</MethodLink>), by layer; one line per
            position.
          </figcaption>
          <CandidatesChart found={found} svgRef={candidatesRef} />
          <ExportButtons
            name="refusal-candidates"
            chart={candidatesRef}
            table={() => ({
              header: ['position', 'layer', 'bypass', 'induce', 'kl', 'dropped', 'marked'],
              rows: found.scores.map((s) => [
                s.position,
                s.layer,
                s.bypass,
                s.induce,
                s.kl,
                s.dropped.join(' '),
                s === found.chosen ? 'chosen' : s === found.fallback ? 'best dropped' : '',
              ]),
            })}
          />
        </figure>
      )}

      {stale && (
        <p className="note">
          The experiment's refusal direction was found on {recipe.model}; find it again on this model.
        </p>
      )}
      <OpControls exp={exp} canApply={recipe !== undefined && !stale} canRotate={canRotate} />
      <ModelExport
        kind="orthogonalize-refusal"
        label="Export model with refusal removed"
        title="Download this model with the refusal direction projected out of every weight that writes to the residual stream (weight orthogonalisation), as a zipped Hugging Face folder."
        edit={recipe && !stale ? { kind: 'orthogonalize-refusal', vector: recipe } : undefined}
      />

      {recipe && !stale && (
        <figure className="refusal-figure" aria-busy={profile.status === 'running'}>
          <figcaption>
            Refusal score by layer: the prompt's projection on r̂ (layer {recipe.layer}, position{' '}
            {recipe.position}) against the harmful and harmless references.
          </figcaption>
          {profile.result && <ProfileChart profile={profile.result} svgRef={profileRef} />}
          {profile.status === 'error' && <p className="error-text">{profile.error?.message}</p>}
          {profile.result && (
            <ExportButtons
              name="refusal-profile"
              chart={profileRef}
              table={() => {
                const p = profile.result!;
                return {
                  header: ['point', 'prompt', 'harmful_mean', 'harmless_mean'],
                  rows: p.labels.map((l, i) => [l, p.prompt[i]!, p.harmful[i]!, p.harmless[i]!]),
                };
              }}
            />
          )}
        </figure>
      )}

      <section className="refusal-circuit" aria-label="Refusal circuit">
        <div className="refusal-find">
          <button
            type="button"
            onClick={() => void findCircuit()}
            disabled={circuit.status === 'running'}
            data-testid="trace-circuit"
          >
            {circuit.status === 'running' ? 'Tracing…' : 'Trace the circuit'}
          </button>
          {circuit.status === 'running' && circuit.progress && (
            <span className="refusal-progress">
              <progress
                aria-label="Circuit progress"
                value={circuit.progress.done}
                max={Math.max(1, circuit.progress.total)}
              />{' '}
              {circuit.progress.stage} {circuit.progress.done}/{circuit.progress.total}
            </span>
          )}
          {circuit.status === 'error' && <p className="error-text">{circuit.error?.message}</p>}
        </div>
        {circuit.result && circuit.result.nLayers === model.spec.nLayers && (
          <figure className="refusal-figure">
            <figcaption>
              Heads by layer: gates decide, amplifiers write the refusal; edges are the knockout cascade.
              Refuse − comply logit difference: harmful {fmt(circuit.result.circuit.harmful)}, harmless{' '}
              {fmt(circuit.result.circuit.harmless)}. Click a head to gate it.
            </figcaption>
            <CircuitGraph
              data={circuit.result}
              gates={gatesOf(exp)}
              onToggle={toggleHead}
              svgRef={circuitRef}
            />
            <ExportButtons
              name="refusal-circuit"
              chart={circuitRef}
              table={() => ({
                header: [
                  'head',
                  'layer',
                  'index',
                  'role',
                  'direct',
                  'necessity',
                  'sufficiency',
                  'indirect',
                  'causal',
                ],
                rows: circuit.result!.circuit.heads.map((h) => [
                  h.id,
                  h.layer,
                  h.head,
                  h.role ?? '',
                  h.direct,
                  h.necessity,
                  h.sufficiency,
                  h.indirect,
                  h.causal,
                ]),
              })}
            />
          </figure>
        )}
      </section>
    </div>
  );
}

function FindProgress(props: { readonly progress: RefusalProgress | undefined }) {
  const p = props.progress;
  // Filtering and reading are quick; scoring is most of the work, so it gets most of the bar.
  const share = !p
    ? 0
    : p.stage === 'filter'
      ? 0.05 * (p.done / p.total)
      : p.stage === 'candidates'
        ? 0.05 + 0.05 * (p.done / p.total)
        : 0.1 + 0.9 * (p.done / Math.max(1, p.total));
  return (
    <span className="refusal-progress" data-testid="refusal-progress">
      <progress aria-label="Finding the refusal direction" value={Math.round(share * 100)} max={100} />{' '}
      <span role="status">
        {p ? `${STAGES[p.stage]}${p.stage === 'score' ? `: ${p.done} of ${p.total}` : '…'}` : 'Starting…'}
      </span>
    </span>
  );
}

function FindSummary(props: { readonly found: RefusalFound }) {
  const f = props.found;
  const c = f.chosen ?? f.fallback;
  const kept = f.scores.filter((s) => s.dropped.length === 0).length;
  const words = {
    kl: `KL above ${f.maxKl}`,
    induce: 'induce below 0',
    'late-layer': 'in the last 20% of layers',
  };
  return (
    <div
      className="refusal-summary"
      data-testid="refusal-summary"
      data-ms={f.ms}
      data-stages={`filter ${f.stageMs.filter} ms, candidates ${f.stageMs.candidates} ms, scoring ${f.stageMs.score} ms`}
    >
      {f.chosen && c ? (
        <p>
          <strong>
            Chosen: layer {c.layer}, position {c.position}
          </strong>{' '}
          (bypass {fmt(c.bypass)}, induce {fmt(c.induce)}, KL {fmt(c.kl, 3)}); {kept} of {f.scores.length}{' '}
          candidates passed the filters.
        </p>
      ) : c ? (
        <p className="note" data-testid="no-candidate">
          No candidate passed the filters of <MethodLink n={5}>the method</MethodLink>. Offered instead: the
          best dropped one,{' '}
          <strong>
            layer {c.layer}, position {c.position}
          </strong>{' '}
          (bypass {fmt(c.bypass)}, induce {fmt(c.induce)}, KL {fmt(c.kl, 3)}), dropped because it is{' '}
          {c.dropped.map((d) => words[d]).join(' and ')}. Treat what it does with that in mind.
        </p>
      ) : (
        <p className="note">No candidate could be scored.</p>
      )}
      <p className="hint">
        Refusal score log P(R) − log(1 − P(R)) without intervention: harmful {fmt(f.baseHarmful)}, harmless{' '}
        {fmt(f.baseHarmless)}; held-out harmful {fmt(f.testHarmful)} → {fmt(f.testHarmfulAblated)} ablated.
        Prompts used (build / validation / test): harmful {f.harmful.build}/{f.harmful.val}/{f.harmful.test}{' '}
        of {f.harmful.given}, harmless {f.harmless.build}/{f.harmless.val}/{f.harmless.test} of{' '}
        {f.harmless.given}. R = {f.refusalTokens.map((t) => JSON.stringify(t)).join(' ')}.{' '}
        {(f.ms / 1000).toFixed(1)} s.
      </p>
    </div>
  );
}
