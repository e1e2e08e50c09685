/**
 * The classic interventions with the refusal direction, applied to the experiment (so the steered
 * generation shows them and a link replays them): directional ablation at every residual write,
 * addition at the direction's layer (§5: +1 induces refusal, −1 removes it), and angular steering
 * in the plane of §6, with a dial for the angle. One at a time; "None" removes it.
 */
import { useState } from 'react';
import type { Experiment } from '../../../experiment';
import { appliedOp, applyOp, type RefusalOp } from '../../actions/refusal';

export function OpControls(props: {
  readonly exp: Experiment;
  readonly canApply: boolean;
  readonly canRotate: boolean;
}) {
  const { exp, canApply, canRotate } = props;
  const applied = appliedOp(exp);
  const [coefficient, setCoefficient] = useState(applied?.iv.kind === 'add' ? applied.iv.coefficient : 1);
  const [angle, setAngle] = useState(applied?.iv.kind === 'rotate' ? applied.iv.angle : 180);
  const press = (op: RefusalOp | undefined) => applyOp(op, { coefficient, angle });
  const pressed = (op: RefusalOp | undefined) => applied?.op === op;
  return (
    <fieldset className="refusal-ops" aria-label="Interventions with the refusal direction">
      <legend>Apply to the steered generation</legend>
      <button type="button" aria-pressed={applied === undefined} onClick={() => press(undefined)}>
        None
      </button>
      <button
        type="button"
        aria-pressed={pressed('ablate')}
        disabled={!canApply}
        onClick={() => press('ablate')}
      >
        Ablate the direction
      </button>
      <span className="op-group">
        <button type="button" aria-pressed={pressed('add')} disabled={!canApply} onClick={() => press('add')}>
          Add it
        </button>
        <label>
          ×{' '}
          <input
            aria-label="Addition coefficient"
            type="number"
            step={0.5}
            min={-10}
            max={10}
            value={coefficient}
            onChange={(e) => {
              const c = Number(e.target.value);
              if (!Number.isFinite(c)) return;
              setCoefficient(c);
              if (applied?.op === 'add') applyOp('add', { coefficient: c });
            }}
          />
        </label>
      </span>
      <span className="op-group">
        <button
          type="button"
          aria-pressed={pressed('rotate')}
          disabled={!canApply || !canRotate}
          title={canRotate ? undefined : 'Find the direction first: rotation needs its plane'}
          onClick={() => press('rotate')}
        >
          Rotate
        </button>
        <AngleDial
          angle={angle}
          onChange={(a) => {
            setAngle(a);
            if (applied?.op === 'rotate') applyOp('rotate', { angle: a });
          }}
        />
      </span>
    </fieldset>
  );
}

/** A dial (an SVG needle over a range input, which keeps it keyboard- and screen-reader-usable). */
function AngleDial(props: { readonly angle: number; readonly onChange: (a: number) => void }) {
  const r = 14;
  const t = (props.angle * Math.PI) / 180;
  return (
    <label className="angle-dial">
      <svg width={2 * r + 4} height={2 * r + 4} aria-hidden="true">
        <circle cx={r + 2} cy={r + 2} r={r} className="dial-face" />
        <line
          x1={r + 2}
          y1={r + 2}
          x2={r + 2 + r * Math.cos(t)}
          y2={r + 2 - r * Math.sin(t)}
          className="dial-needle"
        />
      </svg>
      <input
        type="range"
        aria-label="Rotation angle (degrees)"
        min={-180}
        max={180}
        step={5}
        value={props.angle}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
      <output>{props.angle}°</output>
    </label>
  );
}
