/**
 * The baseline and the steered continuation side by side, as they stream. Model text is only
 * ever rendered as text, never as HTML.
 */

import { steeringStrength } from '../../experiment';
import { Explainer } from '../explain';
import type { Generation } from '../store';
import { useStore } from '../store';
import { describeSteered } from './describe-steered';
import './OutputPanel.css';

const STOP_WORDS = {
  'max-tokens': 'reached max tokens',
  'stop-token': 'the model ended the text',
  'context-full': "the model's context is full",
  cancelled: 'stopped',
} as const;

export function OutputPanel() {
  const baseline = useStore((s) => s.generation);
  const steered = useStore((s) => s.steered);
  const hasVector = useStore((s) => s.vector.status !== 'idle');
  return (
    <div className="outputs">
      <Continuation
        title="Baseline"
        testid="output"
        g={baseline}
        empty="Press Generate to continue the prompt."
      />
      <Continuation
        title="Steered"
        testid="steered"
        g={steered}
        empty={hasVector ? 'Press Generate to see the steered continuation.' : 'Add contrast pairs to steer.'}
      />
    </div>
  );
}

function Continuation({
  title,
  testid,
  g,
  empty,
}: {
  title: string;
  testid: string;
  g: Generation;
  empty: string;
}) {
  const heading = `${testid}-heading`;
  const c = g.result;
  const ran = g.status !== 'idle' ? c?.ran : undefined;
  return (
    <section
      className="panel output"
      aria-labelledby={heading}
      data-testid={`${testid}-panel`}
      data-status={g.status}
    >
      <h2 id={heading} data-strength={ran && steeringStrength(ran.steering).toFixed(2)}>
        {title}
        {ran && <span className="muted"> · {describeSteered(ran, ran.applied)}</span>}
      </h2>
      <Explainer id={testid === 'output' ? 'baseline' : 'steered'} />
      {g.status === 'idle' || !c ? (
        <p className="empty">{empty}</p>
      ) : (
        // A chat answer is a turn of its own, so it starts on its own line under the prompt; a
        // plain continuation carries on the prompt's last line.
        <p className={c.chat ? 'text chat' : 'text'} aria-live="polite" aria-busy={g.status === 'running'}>
          <span className="prompt-echo" data-testid={`${testid}-prompt`}>
            {c.prompt}
          </span>
          <span data-testid={`${testid}-text`}>{c.text}</span>
          {g.status === 'running' && <span className="cursor" aria-hidden="true" />}
        </p>
      )}
      <p className="stats" data-testid={`${testid}-stats`}>
        {g.status === 'running' && `Generating… ${c?.tokenCount ?? 0} tokens`}
        {g.status === 'done' &&
          c &&
          `${c.tokenCount} tokens in ${((c.ms ?? 0) / 1000).toFixed(2)} s` +
            `${c.ms ? ` (${((c.tokenCount * 1000) / c.ms).toFixed(1)} tokens/s)` : ''}` +
            `${c.stopReason ? `; ${STOP_WORDS[c.stopReason]}` : ''}.`}
      </p>
      {g.status === 'error' && g.error && (
        <div
          className="error"
          role="alert"
          data-testid={testid === 'output' ? 'generate-error' : `${testid}-error`}
          data-code={g.error.code}
        >
          {g.error.message}
        </div>
      )}
    </section>
  );
}
