/**
 * The steering vector's lens: the tokens its direction promotes and suppresses when read straight
 * through the final norm and the unembedding. Asked of the worker whenever the vector is rebuilt
 * (its key changes); shown as one compact line each way.
 */
import { useEffect } from 'react';
import type { VectorLensInfo } from '../../worker';
import { readVectorLens } from '../actions/vector';
import { useStore } from '../store';

/** The panel's status words (tests read them): loading, ready or error. */
const STATUS = { idle: 'loading', running: 'loading', done: 'ready', error: 'error' } as const;

export function VectorLens() {
  const key = useStore((s) => (s.vector.status === 'done' ? s.vector.result?.key : undefined));
  const lens = useStore((s) => s.vectorLens);
  useEffect(() => {
    if (key) readVectorLens();
  }, [key]);

  if (!key || lens.status === 'idle' || lens.key !== key) return null;
  return (
    <div className="vector-lens" data-testid="vector-lens" data-status={STATUS[lens.status]}>
      {lens.status === 'running' && <span className="muted">Reading the vector's lens…</span>}
      {lens.status === 'error' && <span className="muted">{lens.error?.message}</span>}
      {lens.status === 'done' && lens.result && (
        <>
          <Tokens label="Promotes" testid="lens-promoted" tokens={lens.result.promoted} />
          <Tokens label="Suppresses" testid="lens-suppressed" tokens={lens.result.suppressed} />
        </>
      )}
    </div>
  );
}

function Tokens({
  label,
  testid,
  tokens,
}: {
  label: string;
  testid: string;
  tokens: VectorLensInfo['promoted'];
}) {
  return (
    <p data-testid={testid}>
      <span className="muted">{label}</span>{' '}
      {tokens.map((t) => (
        <code key={t.id} className="lens-token" title={`token ${t.id}: ${t.logit.toFixed(3)} per unit`}>
          {visible(t.text)}
        </code>
      ))}
    </p>
  );
}

/** Spaces and newlines shown as marks, so a token that is only whitespace is still seen. */
function visible(text: string): string {
  return text.replace(/^ /, '·').replace(/^Ġ/, '·').replace(/\n/g, '⏎') || '∅';
}
