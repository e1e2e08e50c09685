/**
 * The model's layers as a strip of buttons: each shows how well that layer separates the current
 * pairs (from the worker's per-layer scores) and whether it is steered. Click picks one layer;
 * Shift- or Ctrl-click adds or removes one. Arrow keys move between layers. With the rotate
 * operator, each layer also shows how many of its norm outputs the plane rotates, and a toggle
 * keeps only the discriminative ones (selective steering: where the pairs' projections onto the
 * plane's first axis have opposite signs).
 */
import { type KeyboardEvent, type MouseEvent, useEffect, useId } from 'react';
import { steeringLayers } from '../../experiment';
import { editSteering } from '../actions/experiment';
import { readPlane } from '../actions/vector';
import { useStore } from '../store';

export function LayerStrip() {
  const nLayers = useStore((s) => s.current?.spec.nLayers ?? 0);
  const chosen = useStore((s) => s.experiment.steering.layers);
  const stats = useStore((s) => s.vector.result?.perLayer);
  const rotate = useStore((s) => s.experiment.steering.operator === 'rotate');
  const discriminative = useStore((s) => s.experiment.steering.discriminative);
  const vectorKey = useStore((s) => (s.vector.status === 'done' ? s.vector.result?.key : undefined));
  const plane = useStore((s) => (s.plane.status === 'done' ? s.plane.result : undefined));
  const id = useId();
  // The plane is rebuilt from the same pairs as the vector: ask again once the vector is rebuilt.
  useEffect(() => {
    if (rotate && vectorKey) readPlane();
  }, [rotate, discriminative, vectorKey]);
  if (nLayers === 0) return null;
  const rotated = (l: number) =>
    rotate && plane?.discriminative === discriminative
      ? plane.modules.filter((m) => m.layer === l).length
      : undefined;
  // Chosen layers this model lacks (a link for a deeper model) show as none chosen; the vector
  // panel says why.
  const selected = chosen.length
    ? chosen.filter((l) => l < nLayers)
    : steeringLayers({ layers: [] }, nLayers);

  const pick = (l: number, add: boolean) => {
    if (!add) return editSteering({ layers: [l] });
    const next = selected.includes(l)
      ? selected.filter((x) => x !== l)
      : [...selected, l].sort((a, b) => a - b);
    editSteering({ layers: next.length ? next : [l] });
  };
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, l: number) => {
    const to = e.key === 'ArrowRight' ? l + 1 : e.key === 'ArrowLeft' ? l - 1 : undefined;
    if (to === undefined || to < 0 || to >= nLayers) return;
    e.preventDefault();
    const strip = e.currentTarget.parentElement;
    (strip?.children[to] as HTMLElement | undefined)?.focus();
  };

  return (
    <div className="layer-strip-wrap">
      <div className="subhead">
        <h3 id="layers-h">Layers</h3>
        <span className="muted">bar: how consistently the pairs differ there</span>
        {rotate && (
          <label className="check" htmlFor={`${id}-disc`}>
            <input
              id={`${id}-disc`}
              type="checkbox"
              checked={discriminative}
              onChange={(e) => editSteering({ discriminative: e.target.checked })}
            />{' '}
            Discriminative layers only
          </label>
        )}
      </div>
      <fieldset className="layer-strip" aria-labelledby="layers-h" data-testid="layer-strip">
        {Array.from({ length: nLayers }, (_, l) => {
          const sep = stats?.[l]?.separation;
          const h = sep == null ? 0 : Math.max(0, Math.min(1, sep));
          const n = rotated(l);
          return (
            <button
              key={l}
              type="button"
              className="layer"
              aria-pressed={selected.includes(l)}
              aria-label={`Layer ${l}${sep == null ? '' : `, separation ${sep.toFixed(2)}`}${n === undefined ? '' : `, ${n} of 2 norm outputs rotated`}`}
              data-separation={sep == null ? '' : sep.toFixed(3)}
              data-rotated={n}
              onClick={(e: MouseEvent) => pick(l, e.shiftKey || e.ctrlKey || e.metaKey)}
              onKeyDown={(e) => onKey(e, l)}
            >
              <span className="bar" style={{ height: `${Math.round(h * 100)}%` }} />
              <span className="num">{l}</span>
              {n !== undefined && <span className="rotated">{'•'.repeat(n)}</span>}
            </button>
          );
        })}
      </fieldset>
    </div>
  );
}
