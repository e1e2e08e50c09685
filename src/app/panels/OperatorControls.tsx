/**
 * Which operator applies the steering (METHODS.md): add the vector, ablate its direction from every
 * residual write (Arditi), rotate in the plane of the pairs (angular / selective steering), or
 * scale the pairs' atomic units (AUSteer), add the unit direction at every chosen layer's block
 * output (layer-weighted), or redirect the first chosen layer's block output away from the vector
 * keeping its norm (GUARD-IT). Shown as fields inside the builder's settings grid;
 * each operator's own settings appear only while it is chosen.
 */
import { useId } from 'react';
import {
  MAX_UNITS,
  ROTATION_MODES,
  STEERING_OPERATORS,
  type Steering,
  type SteeringOperator,
} from '../../experiment';
import { editSteering } from '../actions/experiment';
import { useStore } from '../store';

/** Short enough to show whole in the dropdown; where each comes from is in its tooltip. */
const OPERATOR_LABELS: Record<SteeringOperator, { label: string; title: string }> = {
  add: { label: 'Add (h += c·v)', title: 'Add the vector, times the strength, to the activations' },
  ablate: {
    label: 'Ablate direction',
    title: 'Remove the direction from every residual write (Arditi et al.)',
  },
  rotate: { label: 'Rotate in plane', title: 'Angular / selective steering in the plane of the pairs' },
  units: { label: 'Atomic units', title: "Scale the pairs' most telling units (AUSteer)" },
  'layer-weighted': {
    label: 'Layer-weighted',
    title:
      'Add the vector at each chosen layer’s output, one global strength times a weight per layer (Guiding Giants)',
  },
  guard: {
    label: 'Redirect, norm kept',
    title: 'Push the activation away from the vector where its gate fires, keeping its norm (GUARD-IT)',
  },
};

const ROTATION_LABELS: Record<(typeof ROTATION_MODES)[number], string> = {
  selective: 'by the angle (selective)',
  angular: 'to the angle (angular)',
  adaptive: 'to the angle where aligned',
};

const UNIT_POINT_LABELS: Record<Steering['unitPoint'], string> = {
  resid_post: 'block outputs',
  mlp_out: 'MLP outputs',
  z: 'attention heads (z)',
};

export function OperatorControls() {
  const s = useStore((st) => st.experiment.steering);
  const id = useId();
  return (
    <>
      <span className="field">
        <label htmlFor={`${id}-op`}>Operator</label>
        <select
          id={`${id}-op`}
          value={s.operator}
          onChange={(e) => editSteering({ operator: e.target.value as SteeringOperator })}
        >
          {STEERING_OPERATORS.map((o) => (
            <option key={o} value={o} title={OPERATOR_LABELS[o].title}>
              {OPERATOR_LABELS[o].label}
            </option>
          ))}
        </select>
      </span>
      {s.operator === 'rotate' && (
        <span className="field">
          <label htmlFor={`${id}-mode`}>Rotate</label>
          <select
            id={`${id}-mode`}
            value={s.rotation}
            onChange={(e) => editSteering({ rotation: e.target.value as Steering['rotation'] })}
          >
            {ROTATION_MODES.map((m) => (
              <option key={m} value={m}>
                {ROTATION_LABELS[m]}
              </option>
            ))}
          </select>
        </span>
      )}
      {s.operator === 'units' && (
        <>
          <span className="field">
            <label htmlFor={`${id}-point`}>Units in</label>
            <select
              id={`${id}-point`}
              value={s.unitPoint}
              onChange={(e) => editSteering({ unitPoint: e.target.value as Steering['unitPoint'] })}
            >
              {(Object.keys(UNIT_POINT_LABELS) as Steering['unitPoint'][]).map((p) => (
                <option key={p} value={p}>
                  {UNIT_POINT_LABELS[p]}
                </option>
              ))}
            </select>
          </span>
          <span className="field">
            <label htmlFor={`${id}-k`}>Top k units</label>
            <input
              id={`${id}-k`}
              type="number"
              min={0}
              max={MAX_UNITS}
              step={1}
              value={s.k}
              onChange={(e) => {
                const k = Math.round(Number(e.target.value));
                if (Number.isFinite(k)) editSteering({ k: Math.min(MAX_UNITS, Math.max(0, k)) });
              }}
            />
          </span>
        </>
      )}
    </>
  );
}
