/**
 * Per-layer methods on the current prompt, unsteered: layer activity (METHODS.md §14, how much
 * each block changes the residual stream, with the layers idle below τ) and MLP activation
 * sparsity (§15, the share of activations under ε), each a chart with its SVG/PNG/CSV export.
 * τ and ε are part of the experiment's view, so a link opens on the same charts.
 */
import { useEffect, useId, useRef } from 'react';
import { SPARSITY_EPSILONS } from '../../experiment';
import { editMethodsView, readProfiles } from '../actions/profiles';
import { ExportButtons } from '../charts/ExportButtons';
import { useStore } from '../store';
import { LayerBars } from './methods/LayerBars';
import { activityByLayer, activityTable, sparsityAt, sparsityTable } from './methods/profiles';
import '../charts/charts.css';

const PROMPT_DELAY_MS = 300;

export function MethodsView() {
  const model = useStore((s) => s.current);
  const prompt = useStore((s) => s.experiment.prompt);
  const { tau, epsilon } = useStore((s) => s.experiment.view.methods);
  const profiles = useStore((s) => s.profiles);
  const activityRef = useRef<SVGSVGElement>(null);
  const sparsityRef = useRef<SVGSVGElement>(null);
  const id = useId();
  // Measured again a moment after the model or the prompt changes (typing waits for a pause).
  useEffect(() => {
    if (!model || !prompt) return;
    const t = setTimeout(readProfiles, PROMPT_DELAY_MS);
    return () => clearTimeout(t);
  }, [model, prompt]);

  if (!model) return <p className="muted">Load a model to measure its layers.</p>;
  const p = profiles.result;
  const activity = p && activityByLayer(p, tau);
  const idle = activity ? activity.mean.map((m) => m < tau) : [];
  const idleLayers = idle.flatMap((x, l) => (x ? [l] : []));
  const share = p ? sparsityAt(p, epsilon) : [];
  return (
    <div className="methods-view" data-testid="methods-view" data-status={profiles.status}>
      {profiles.status === 'running' && <p className="muted">Measuring the prompt's layers…</p>}
      {profiles.status === 'error' && (
        <p className="error-text" role="alert">
          {profiles.error?.message}
        </p>
      )}
      <figure className="refusal-figure">
        <figcaption>
          Layer activity: how much each block changes the residual stream, ‖post − pre‖ / ‖pre‖, averaged over
          the prompt's {p?.tokens.length ?? ''} tokens. A layer whose mean stays below τ is idle.
        </figcaption>
        <span className="field">
          <label htmlFor={`${id}-tau`}>Idle below τ</label>
          <input
            id={`${id}-tau`}
            type="number"
            min={0}
            max={10}
            step={0.01}
            value={tau}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (Number.isFinite(v) && v >= 0 && v <= 10) editMethodsView({ tau: v });
            }}
          />
        </span>
        {p && activity && (
          <>
            <p data-testid="idle-layers">
              {idleLayers.length ? `Idle layers: ${idleLayers.join(', ')}` : 'No idle layer at this τ'}
              {`; idle (layer, token) cells: ${activity.idleTokens.reduce((s, n) => s + n, 0)} of ${p.layers * p.tokens.length}.`}
            </p>
            <LayerBars
              values={activity.mean}
              label="mean relative change"
              threshold={{ value: tau, label: `τ = ${tau}` }}
              marked={idle}
              testid="activity-chart"
              svgRef={activityRef}
            />
            <ExportButtons name="layer-activity" chart={activityRef} table={() => activityTable(p, tau)} />
          </>
        )}
      </figure>
      <figure className="refusal-figure">
        <figcaption>
          Activation sparsity: the share of MLP activations (mlp.hook_post) with |x| ≤ ε at each layer, over{' '}
          {p?.count ?? ''} activations per layer.
        </figcaption>
        <span className="field">
          <label htmlFor={`${id}-eps`}>Threshold ε</label>
          <select
            id={`${id}-eps`}
            value={epsilon}
            onChange={(e) => editMethodsView({ epsilon: Number(e.target.value) })}
          >
            {SPARSITY_EPSILONS.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </span>
        {p && (
          <>
            <LayerBars
              values={share}
              label={`share with |x| ≤ ${epsilon}`}
              max={1}
              testid="sparsity-chart"
              svgRef={sparsityRef}
            />
            <ExportButtons name="activation-sparsity" chart={sparsityRef} table={() => sparsityTable(p)} />
          </>
        )}
      </figure>
    </div>
  );
}
