/**
 * The sparse autoencoder view (METHODS.md §17): its settings (layer, dictionary size, L1, steps)
 * live in the experiment's view, so a link trains the same SAE; Train runs the worker's job with
 * progress (Stop ends it); the figures on held-out tokens, then the strongest features with their
 * top-activating texts (the token marked) and "Steer with this feature".
 */
import { useEffect, useId } from 'react';
import type { SaeJobProgress, SaeOutcome } from '../../worker';
import {
  editSaeView,
  featureCoefficient,
  runSae,
  saeRequest,
  steerWithFeature,
  stopSae,
  trainSae,
} from '../actions/sae';
import { useStore } from '../store';
import './sae/sae.css';

const STAGES: Record<SaeJobProgress['stage'], string> = {
  activations: 'Reading the residual stream over the texts',
  train: 'Training',
  features: "Finding each feature's top texts",
};

export function SaeView() {
  const model = useStore((s) => s.current);
  const settings = useStore((s) => s.experiment.view.sae);
  const job = useStore((s) => s.sae);
  const request = useStore((s) => saeRequest(s));
  const id = useId();
  useEffect(() => {
    if (request) runSae();
  }, [request]);
  if (!model) return <p className="muted">Load a model to train a sparse autoencoder on it.</p>;
  const L = model.spec.nLayers;
  const running = job.status === 'running';
  const r = job.result?.modelId === model.id ? job.result : undefined;
  const numberField = (
    key: 'layer' | 'features' | 'l1' | 'steps',
    label: string,
    min: number,
    max: number,
    step: number,
    placeholder?: string,
  ) => (
    <span className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type="number"
        min={min}
        max={max}
        step={step}
        placeholder={placeholder}
        value={settings[key] ?? ''}
        onChange={(e) => {
          const v = e.target.value === '' ? undefined : Number(e.target.value);
          if (key === 'layer' && v === undefined) editSaeView({ layer: undefined });
          else if (v !== undefined && v >= min && v <= max && (step < 1 || Number.isInteger(v)))
            editSaeView({ [key]: v });
        }}
      />
    </span>
  );
  return (
    <div className="fv-view" data-testid="sae-view" data-status={job.status}>
      <div className="fv-controls">
        {numberField('layer', 'Layer', 0, L - 1, 1, String(Math.floor(L / 2)))}
        {numberField('features', 'Features', 8, 4096, 1)}
        {numberField('l1', 'L1 coefficient', 0, 100, 0.5)}
        {numberField('steps', 'Steps', 10, 20000, 1)}
        {running ? (
          <button type="button" onClick={stopSae}>
            Stop
          </button>
        ) : (
          <button type="button" onClick={trainSae}>
            Train
          </button>
        )}
      </div>
      {running && <Progress progress={job.progress} />}
      {job.status === 'error' && (
        <p className="error-text" role="alert">
          {job.error?.message}
        </p>
      )}
      {r && <Figures r={r} stale={running} />}
    </div>
  );
}

function Progress({ progress }: { readonly progress: SaeJobProgress | undefined }) {
  if (!progress) return <p className="muted">Starting…</p>;
  return (
    <p className="muted" role="status" data-testid="sae-progress">
      {STAGES[progress.stage]}
      {progress.total > 1 ? ` (${progress.done} of ${progress.total})` : ''}
      {progress.l0 !== undefined ? `, L0 ${progress.l0.toFixed(1)}, dead ${progress.dead}` : ''}…
      <progress value={progress.done} max={Math.max(1, progress.total)} />
    </p>
  );
}

function Figures({ r, stale }: { readonly r: SaeOutcome; readonly stale: boolean }) {
  return (
    <div className="sae-figures" aria-busy={stale}>
      <p data-testid="sae-summary">
        {r.dSae} features at layer {r.layer} (λ {r.l1}, {r.steps} steps on {r.trainTokens} tokens, in{' '}
        {(r.trainMs / 1000).toFixed(1)} s). On held-out tokens: explained variance{' '}
        {r.explainedVariance.toFixed(3)}, L0 {r.l0.toFixed(1)}, dead {Math.round(100 * r.deadFraction)}%.
      </p>
      <ol className="sae-features" data-testid="sae-features">
        {r.features.map((f) => (
          <li key={f.feature} data-testid="sae-feature" data-feature={f.feature}>
            <div>
              <b>Feature {f.feature}</b>{' '}
              <span className="muted">
                max {f.max.toFixed(2)}, fires in {f.texts} texts
              </span>{' '}
              <button type="button" onClick={() => steerWithFeature(f.feature)}>
                Steer with this feature
              </button>{' '}
              <span className="muted">(strength {featureCoefficient(f)})</span>
            </div>
            <ul>
              {f.examples.map((e, i) => (
                <li key={i} data-testid="sae-example">
                  …{e.before}
                  <mark title={e.activation.toFixed(2)}>{e.token}</mark>
                  {e.after}…
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}
