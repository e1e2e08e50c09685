/**
 * How the pairs become a vector (hook point, position, method), which operator applies it, and how
 * strongly. The add slider's range comes from the vector's norm relative to the activations' norm
 * at its layer (coefficientRange), so it means the same on every model; the other operators have
 * natural ranges (a fraction, an angle, AUSteer's α).
 */
import { useId } from 'react';
import {
  coefficientRange,
  completePairs,
  PRESETS,
  type Steering,
  steeringStrength,
  strengthPatch,
  VECTOR_HOOKS,
  VECTOR_METHODS,
} from '../../experiment';
import { editSteering } from '../actions/experiment';
import { flushSteered } from '../actions/generate';
import { useStore } from '../store';
import { AddControls } from './AddControls';
import { OperatorControls } from './OperatorControls';
import { inlineSource, VectorFiles } from './VectorFiles';
import { VectorLens } from './VectorLens';

/** Short enough to show whole in the dropdown; where each comes from is in its tooltip. */
const METHOD_LABELS: Record<(typeof VECTOR_METHODS)[number], { label: string; title: string }> = {
  mean: { label: 'Mean difference', title: 'Contrastive activation addition (CAA)' },
  pca_diff: { label: 'PCA of differences', title: 'As repeng builds control vectors' },
  pca_center: { label: 'PCA, centred pairs', title: "repeng's centred variant" },
  pca: { label: 'PCA of ±differences', title: 'Both signs of every difference' },
  logistic: { label: 'Logistic direction', title: 'A linear probe between the two sides' },
};

export function SteerControls() {
  const s = useStore((st) => st.experiment.steering);
  const vector = useStore((st) => st.vector);
  const id = useId();
  const hasPairs = completePairs(s.pairs).length > 0;
  const ready = s.operator === 'rotate' || s.operator === 'units' ? hasPairs : hasPairs || !!s.vector;
  const info = vector.result;
  const slider = strengthSlider(
    s,
    info?.norms[0] ?? 0,
    info?.residualNorms[0] ?? 0,
    info?.typicalNorms?.[0] ?? 0,
  );
  const value = steeringStrength(s);
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
            <option value="mean">prompt mean</option>
            <option value="last">last token</option>
            <option value={positionValue.startsWith('index') ? positionValue : 'index:-2'}>
              answer letter
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
              <option key={m} value={m} title={METHOD_LABELS[m].title}>
                {METHOD_LABELS[m].label}
              </option>
            ))}
          </select>
        </span>
        <OperatorControls />
        <AddControls />
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
      <div className="strength" data-operator={s.operator}>
        <label htmlFor={`${id}-coef`}>{slider.label}</label>
        <input
          id={`${id}-coef`}
          type="range"
          aria-label={slider.label}
          min={slider.min}
          max={slider.max}
          step={slider.step}
          value={value}
          disabled={!ready}
          onChange={(e) => editSteering(strengthPatch(s, Number(e.target.value)))}
          // Debounced while dragging or holding a key; the release (wherever the pointer is let
          // go) runs the steered side at once.
          onPointerDown={() => window.addEventListener('pointerup', flushSteered, { once: true })}
          onKeyUp={flushSteered}
        />
        <output htmlFor={`${id}-coef`} data-testid="coefficient">
          {value.toFixed(2)}
        </output>
        <button type="button" disabled={value === 0} onClick={() => editSteering(strengthPatch(s, 0))}>
          Reset
        </button>
        <span className="muted" data-testid="strength-ratio">
          {slider.hint(value)}
        </span>
        <FluentNote />
      </div>
      <VectorLens />
      <VectorFiles />
    </div>
  );
}

/**
 * The norm-unit slider's reach: past 1.5× the typical norm at every position, every organism's text
 * is word salad (METHODS.md §19); a preset's default past it (Refusal, prompt only) widens it.
 */
const NORM_RANGE = 1.5;

/** The strength control of each operator: its label, range, and what its value means. */
function strengthSlider(
  s: Steering,
  vectorNorm: number,
  residualNorm: number,
  typicalNorm: number,
): { label: string; min: number; max: number; step: number; hint: (v: number) => string } {
  // Norm units (METHODS.md §19): the strength is in multiples of the typical activation norm at
  // the layer, so one range fits every model and layer.
  if (
    s.unit === 'norm' &&
    (s.operator === 'add' || s.operator === 'layer-weighted' || s.operator === 'guard')
  ) {
    const max = Math.max(NORM_RANGE, Math.abs(steeringStrength(s)));
    return {
      label: 'Strength',
      min: -max,
      max,
      step: 0.01,
      hint: (v) =>
        `adds ${Math.abs(v).toFixed(2)}× the typical activation norm${typicalNorm > 0 ? ` (${typicalNorm.toFixed(1)} at this layer)` : ''}`,
    };
  }
  switch (s.operator) {
    case 'add': {
      const range = coefficientRange(vectorNorm, residualNorm);
      const max = Math.max(range.max, Math.abs(s.coefficient));
      return {
        label: 'Strength',
        min: -max,
        max,
        step: range.step,
        hint: (v) =>
          typicalNorm > 0
            ? `adds ${((Math.abs(v) * vectorNorm) / typicalNorm).toFixed(2)}× the typical activation norm`
            : residualNorm > 0
              ? `adds ${((Math.abs(v) * vectorNorm) / residualNorm).toFixed(2)}× the activation norm`
              : '',
      };
    }
    case 'ablate':
      return {
        label: 'Ablation',
        min: 0,
        max: 1,
        step: 0.01,
        hint: (v) =>
          `removes ${Math.round(v * 100)}% of the direction from every residual write, every layer`,
      };
    case 'rotate':
      return {
        label: 'Angle',
        min: -180,
        max: 180,
        step: 1,
        hint: (v) =>
          s.rotation === 'selective'
            ? `rotates each norm output by ${v.toFixed(0)}° in the pairs' plane (norm kept)`
            : `sets each norm output's angle in the pairs' plane to ${v.toFixed(0)}° (norm kept)`,
      };
    case 'units':
      return {
        label: 'Alpha',
        min: -20,
        max: 20,
        step: 0.1,
        hint: (v) => `scales the top ${s.k} units by 1 + ${v.toFixed(1)}·β (AUSteer)`,
      };
    case 'layer-weighted': {
      // The direction is a unit vector: the strength is in the residual stream's own units.
      const max = Math.max(coefficientRange(1, residualNorm).max, Math.abs(s.weighted));
      return {
        label: 'Strength',
        min: -max,
        max,
        step: max / 200,
        hint: (v) =>
          residualNorm > 0
            ? `adds ${(Math.abs(v) / residualNorm).toFixed(2)}× the activation norm at each chosen layer's block output`
            : '',
      };
    }
    case 'guard': {
      const range = coefficientRange(vectorNorm, residualNorm);
      const max = Math.max(range.max, Math.abs(s.redirect));
      return {
        label: 'Strength',
        min: -max,
        max,
        step: range.step,
        hint: (v) => `turns the block output away from ${v.toFixed(2)}·v, its norm kept`,
      };
    }
  }
}

/**
 * The preset's measured fluent range (METHODS.md §19), shown while the slider steers in norm units
 * at the layers it was measured at on this organism.
 */
function FluentNote() {
  const s = useStore((st) => st.experiment.steering);
  const choice = useStore((st) => st.currentChoice);
  const tuning = PRESETS.find((p) => p.id === s.preset)?.tuned?.[
    choice?.kind === 'shipped' ? choice.name : ''
  ];
  if (!tuning || s.unit !== 'norm' || s.operator !== 'add' || s.layers.join() !== tuning.layers.join())
    return null;
  const [lo, hi] = tuning.fluent;
  const inside = s.coefficient >= lo && s.coefficient <= hi;
  return (
    <span className="muted" data-testid="fluent-range" data-inside={inside}>
      fluent from {lo} to {hi} (measured: perplexity within ×2){inside ? '' : ': past it the text breaks up'}
    </span>
  );
}

function VectorStatus() {
  const v = useStore((s) => s.vector);
  const inline = useStore((s) => s.experiment.steering.vector);
  if (v.status === 'idle')
    return (
      <p className="muted" data-testid="vector-status" data-status="none">
        Add pairs to build a steering vector.
      </p>
    );
  if (v.status === 'running') {
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
  const i = v.result!;
  return (
    <p className="muted" data-testid="vector-status" data-status="ready">
      Vector at {i.hook}, layer{i.layers.length > 1 ? 's' : ''} {i.layers.join(', ')}{' '}
      {i.key.startsWith('inline:')
        ? inline && inline.origin !== undefined && inline.origin !== 'file'
          ? `from the ${inlineSource(inline)}`
          : 'imported'
        : i.key.startsWith('actadd:')
          ? 'by ActAdd from the first pair'
          : `from ${i.pairs} pairs`}
      {i.cached ? ' (cached)' : ` in ${i.ms} ms`}; norm {(i.norms[0] ?? 0).toFixed(2)}.
    </p>
  );
}
