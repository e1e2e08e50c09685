/**
 * How the pairs become a vector (hook point, position, method) and how strongly it is added.
 * The slider's range comes from the vector's norm relative to the activations' norm at its
 * layer (coefficientRange), so it means the same on every model.
 */
import { useId } from 'react';
import {
  coefficientRange,
  completePairs,
  type Steering,
  VECTOR_HOOKS,
  VECTOR_METHODS,
} from '../../experiment';
import { editSteering } from '../actions/experiment';
import { useStore } from '../store';

const METHOD_LABELS: Record<(typeof VECTOR_METHODS)[number], string> = {
  mean: 'Mean difference (CAA)',
  pca_diff: 'PCA of differences (repeng)',
  pca_center: 'PCA of centred pairs (repeng)',
  pca: 'PCA of ±differences',
  logistic: 'Logistic direction',
};

export function SteerControls() {
  const s = useStore((st) => st.experiment.steering);
  const vector = useStore((st) => st.vector);
  const id = useId();
  const ready = completePairs(s.pairs).length > 0;
  const info = vector.info;
  const range = coefficientRange(info?.norms[0] ?? 0, info?.residualNorms[0] ?? 0);
  const max = Math.max(range.max, Math.abs(s.coefficient));
  const ratio = info?.residualNorms[0]
    ? (Math.abs(s.coefficient) * (info.norms[0] ?? 0)) / info.residualNorms[0]
    : undefined;
  const positionValue = s.position.kind === 'index' ? `index:${s.position.index}` : s.position.kind;

  return (
    <div className="steer-controls" data-testid="steer-controls">
      <div className="settings">
        <span className="field">
          <label htmlFor={`${id}-hook`}>Hook point</label>
          <select
            id={`${id}-hook`}
            value={s.hook}
            onChange={(e) => editSteering({ hook: e.target.value as Steering['hook'] })}
          >
            {VECTOR_HOOKS.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </span>
        <span className="field">
          <label htmlFor={`${id}-pos`}>Read at</label>
          <select
            id={`${id}-pos`}
            value={positionValue}
            onChange={(e) => {
              const v = e.target.value;
              editSteering({
                position:
                  v === 'last'
                    ? { kind: 'last' }
                    : v === 'mean'
                      ? { kind: 'mean' }
                      : { kind: 'index', index: -2 },
              });
            }}
          >
            <option value="mean">mean over the prompt</option>
            <option value="last">last token</option>
            <option value={positionValue.startsWith('index') ? positionValue : 'index:-2'}>
              answer letter (index −2)
            </option>
          </select>
        </span>
        <span className="field">
          <label htmlFor={`${id}-method`}>Method</label>
          <select
            id={`${id}-method`}
            value={s.method}
            onChange={(e) => editSteering({ method: e.target.value as Steering['method'] })}
          >
            {VECTOR_METHODS.map((m) => (
              <option key={m} value={m}>
                {METHOD_LABELS[m]}
              </option>
            ))}
          </select>
        </span>
        <label className="check">
          <input
            type="checkbox"
            checked={s.chat}
            onChange={(e) => editSteering({ chat: e.target.checked })}
          />{' '}
          Pairs in chat template
        </label>
      </div>
      <VectorStatus />
      <div className="strength">
        <label htmlFor={`${id}-coef`}>Strength</label>
        <input
          id={`${id}-coef`}
          type="range"
          aria-label="Strength"
          min={-max}
          max={max}
          step={range.step}
          value={s.coefficient}
          disabled={!ready}
          onChange={(e) => editSteering({ coefficient: Number(e.target.value) })}
        />
        <output htmlFor={`${id}-coef`} data-testid="coefficient">
          {s.coefficient.toFixed(2)}
        </output>
        <button type="button" disabled={s.coefficient === 0} onClick={() => editSteering({ coefficient: 0 })}>
          Reset
        </button>
        <span className="muted" data-testid="strength-ratio">
          {ratio === undefined ? '' : `adds ${ratio.toFixed(2)}× the activation norm`}
        </span>
      </div>
    </div>
  );
}

function VectorStatus() {
  const v = useStore((s) => s.vector);
  if (v.status === 'none')
    return (
      <p className="muted" data-testid="vector-status" data-status="none">
        Add pairs to build a steering vector.
      </p>
    );
  if (v.status === 'building') {
    const p = v.progress;
    return (
      <p className="muted" data-testid="vector-status" data-status="building">
        Reading pairs… <progress max={p?.total ?? 1} value={p?.done ?? 0} /> {p ? `${p.done}/${p.total}` : ''}
      </p>
    );
  }
  if (v.status === 'error')
    return (
      <div
        className="error"
        role="alert"
        data-testid="vector-status"
        data-status="error"
        data-code={v.error?.code}
      >
        {v.error?.message}
      </div>
    );
  const i = v.info!;
  return (
    <p className="muted" data-testid="vector-status" data-status="ready">
      Vector at {i.hook}, layer{i.layers.length > 1 ? 's' : ''} {i.layers.join(', ')} from {i.pairs} pairs
      {i.cached ? ' (cached)' : ` in ${i.ms} ms`}; norm {(i.norms[0] ?? 0).toFixed(2)}.
    </p>
  );
}
