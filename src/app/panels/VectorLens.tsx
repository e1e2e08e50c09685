/**
 * The steering vector's lens: the tokens its direction promotes and suppresses when read straight
 * through the final norm and the unembedding. Asked of the worker whenever the vector is rebuilt
 * (its key changes); shown as one compact line each way.
 */
import { useEffect, useState } from 'react';
import { steeringVectorSource } from '../../experiment';
import type { VectorLensInfo } from '../../worker';
import { errorOf } from '../actions/errors';
import { useStore } from '../store';
import { modelWorker } from '../worker';

const K = 8;

type LensState =
  | { status: 'idle' }
  | { status: 'loading'; key: string }
  | { status: 'ready'; key: string; lens: VectorLensInfo }
  | { status: 'error'; key: string; message: string };

export function VectorLens() {
  const vector = useStore((s) => s.vector);
  const [state, setState] = useState<LensState>({ status: 'idle' });
  const key = vector.status === 'ready' ? vector.info?.key : undefined;

  useEffect(() => {
    if (!key) return;
    const { current, experiment } = useStore.getState();
    if (!current) return;
    const source = steeringVectorSource(experiment.steering, {
      id: current.id,
      nLayers: current.spec.nLayers,
    });
    if (!source) return;
    let live = true;
    setState({ status: 'loading', key });
    modelWorker()
      .vectorLens(source, K)
      .then(
        (lens) => live && setState({ status: 'ready', key, lens }),
        (e) => live && setState({ status: 'error', key, message: errorOf(e).message }),
      );
    return () => {
      live = false;
    };
  }, [key]);

  if (!key || state.status === 'idle') return null;
  return (
    <div className="vector-lens" data-testid="vector-lens" data-status={state.status}>
      {state.status === 'loading' && <span className="muted">Reading the vector's lens…</span>}
      {state.status === 'error' && <span className="muted">{state.message}</span>}
      {state.status === 'ready' && (
        <>
          <Tokens label="Promotes" testid="lens-promoted" tokens={state.lens.promoted} />
          <Tokens label="Suppresses" testid="lens-suppressed" tokens={state.lens.suppressed} />
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
