/**
 * Where and how the add operator (and layer-weighted steering) writes the vector: the recipe
 * (the pairs' contrast vector, or ActAdd's per-position difference of the first pair, added
 * front-aligned), the positions it is added at, whether each steered position keeps its norm,
 * and ablate-then-add (the direction removed before the vector is added).
 */
import { useId } from 'react';
import { type Steering, usesActAdd } from '../../experiment';
import { editSteering } from '../actions/experiment';
import { useStore } from '../store';

type Positions = Steering['positions'];

const POSITION_LABELS: Record<Exclude<Positions['kind'], 'from'>, string> = {
  all: 'every position',
  prompt: 'the prompt only',
  front: 'the front (ActAdd)',
  last: 'the last position',
  'prompt-last': "the prompt's last position",
};

export function AddControls() {
  const s = useStore((st) => st.experiment.steering);
  const id = useId();
  if (s.operator !== 'add' && s.operator !== 'layer-weighted') return null;
  const add = s.operator === 'add';
  return (
    <>
      {add && (
        <span className="field">
          <label htmlFor={`${id}-recipe`}>Recipe</label>
          <select
            id={`${id}-recipe`}
            value={s.recipe}
            onChange={(e) => {
              const recipe = e.target.value as Steering['recipe'];
              // ActAdd's rows line up with the prompt's first positions; front is its alignment.
              editSteering(
                recipe === 'actadd'
                  ? { recipe, positions: { kind: 'front' } }
                  : { recipe, ...(s.positions.kind === 'front' ? { positions: { kind: 'all' } } : {}) },
              );
            }}
          >
            <option value="contrast">Contrast pairs</option>
            <option value="actadd">ActAdd (first pair, per position)</option>
          </select>
        </span>
      )}
      <span className="field">
        <label htmlFor={`${id}-at`}>Add at</label>
        <select
          id={`${id}-at`}
          value={s.positions.kind}
          onChange={(e) => editSteering({ positions: { kind: e.target.value } as Positions })}
        >
          {s.positions.kind === 'from' && <option value="from">from position {s.positions.start}</option>}
          {(Object.keys(POSITION_LABELS) as (keyof typeof POSITION_LABELS)[]).map((k) => (
            <option key={k} value={k}>
              {POSITION_LABELS[k]}
            </option>
          ))}
        </select>
      </span>
      {add && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={s.normalize}
              onChange={(e) => editSteering({ normalize: e.target.checked })}
            />{' '}
            Keep each position's norm
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={s.ablateFirst && !usesActAdd(s)}
              disabled={usesActAdd(s)}
              title={
                usesActAdd(s)
                  ? "ActAdd's vector has one row per position: no one direction to ablate"
                  : undefined
              }
              onChange={(e) => editSteering({ ablateFirst: e.target.checked })}
            />{' '}
            Ablate the direction first
          </label>
        </>
      )}
    </>
  );
}
