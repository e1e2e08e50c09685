/**
 * Contrast pairs: a row per pair (edit, remove), Add, presets, and a bulk box that takes pasted
 * lines ("positive | negative" or CSV). Text is only ever rendered as text.
 */
import { useId, useState } from 'react';
import { formatPairs, PRESETS, parsePairs } from '../../experiment';
import { editSteering } from '../actions/experiment';
import { applyPreset, undoPreset } from '../actions/presets';
import { useStore } from '../store';

export function PairsEditor() {
  const pairs = useStore((s) => s.experiment.steering.pairs);
  const preset = useStore((s) => s.experiment.steering.preset);
  const presetUndo = useStore((s) => s.presetUndo);
  const [bulk, setBulk] = useState<string | undefined>(undefined);
  const [problems, setProblems] = useState<string[]>([]);
  const id = useId();

  const setPair = (i: number, side: 'positive' | 'negative', text: string) =>
    editSteering({ pairs: pairs.map((p, j) => (j === i ? { ...p, [side]: text } : p)) });

  const applyBulk = () => {
    const parsed = parsePairs(bulk ?? '');
    setProblems(parsed.problems);
    if (parsed.problems.length === 0) {
      editSteering({ pairs: parsed.pairs });
      setBulk(undefined);
    }
  };

  return (
    <div className="pairs" data-testid="pairs-editor">
      <div className="subhead">
        <h3 id={`${id}-h`}>Contrast pairs</h3>
        <span className="muted">
          {pairs.length} pairs{preset ? ` · from ${preset}` : ''}
        </span>
      </div>
      <fieldset className="presets" aria-label="Preset pair sets">
        {PRESETS.map((p) => (
          <button key={p.id} type="button" title={p.description} onClick={() => void applyPreset(p.id)}>
            {p.label}
          </button>
        ))}
        {presetUndo && (
          <button type="button" onClick={undoPreset} data-testid="preset-undo">
            Undo {presetUndo.label}
          </button>
        )}
      </fieldset>
      {bulk === undefined ? (
        <>
          <ol className="pair-list" aria-labelledby={`${id}-h`}>
            {pairs.map((p, i) => (
              <li key={i} className="pair">
                <input
                  aria-label={`Pair ${i + 1} positive`}
                  value={p.positive}
                  placeholder="positive"
                  onChange={(e) => setPair(i, 'positive', e.target.value)}
                />
                <input
                  aria-label={`Pair ${i + 1} negative`}
                  value={p.negative}
                  placeholder="negative"
                  onChange={(e) => setPair(i, 'negative', e.target.value)}
                />
                <button
                  type="button"
                  aria-label={`Remove pair ${i + 1}`}
                  onClick={() => editSteering({ pairs: pairs.filter((_, j) => j !== i) })}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          {pairs.length === 0 && (
            <p className="empty">No pairs yet: pick a preset, add a pair, or paste lines.</p>
          )}
          <div className="actions">
            <button
              type="button"
              onClick={() => editSteering({ pairs: [...pairs, { positive: '', negative: '' }] })}
            >
              Add pair
            </button>
            <button type="button" onClick={() => setBulk(formatPairs(pairs))}>
              Paste lines
            </button>
            {pairs.length > 0 && (
              <button type="button" onClick={() => editSteering({ pairs: [] })}>
                Clear
              </button>
            )}
          </div>
        </>
      ) : (
        <div className="bulk">
          <label htmlFor={`${id}-bulk`}>One pair a line: positive | negative, or CSV</label>
          <textarea
            id={`${id}-bulk`}
            aria-label="Pairs as lines"
            rows={6}
            value={bulk}
            onChange={(e) => setBulk(e.target.value)}
          />
          {problems.length > 0 && (
            <div className="error" role="alert" data-testid="pairs-problems">
              {problems.slice(0, 5).map((p) => (
                <p key={p}>{p}</p>
              ))}
            </div>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={applyBulk}>
              Use these pairs
            </button>
            <button
              type="button"
              onClick={() => {
                setBulk(undefined);
                setProblems([]);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
