/** The continuation as it streams. Model text is only ever rendered as text, never as HTML. */
import { useStore } from '../store';

const STOP_WORDS = {
  'max-tokens': 'reached max tokens',
  'stop-token': 'the model ended the text',
  'context-full': "the model's context is full",
  cancelled: 'stopped',
} as const;

export function OutputPanel() {
  const g = useStore((s) => s.generation);

  return (
    <section
      className="panel output"
      aria-labelledby="output-heading"
      data-testid="output-panel"
      data-status={g.status}
    >
      <h2 id="output-heading">Output</h2>
      {g.status === 'idle' ? (
        <p className="empty">Press Generate to continue the prompt.</p>
      ) : (
        <p className="text" aria-live="polite" aria-busy={g.status === 'running'}>
          <span className="prompt-echo">{g.prompt}</span>
          <span data-testid="output-text">{g.text}</span>
          {g.status === 'running' && <span className="cursor" aria-hidden="true" />}
        </p>
      )}
      <p className="stats" data-testid="output-stats">
        {g.status === 'running' && `Generating… ${g.tokenCount} tokens`}
        {g.status === 'done' &&
          `${g.tokenCount} tokens in ${((g.ms ?? 0) / 1000).toFixed(2)} s` +
            `${g.ms ? ` (${((g.tokenCount * 1000) / g.ms).toFixed(1)} tokens/s)` : ''}` +
            `${g.stopReason ? `; ${STOP_WORDS[g.stopReason]}` : ''}.`}
      </p>
      {g.status === 'error' && g.error && (
        <div className="error" role="alert" data-testid="generate-error" data-code={g.error.code}>
          {g.error.message}
        </div>
      )}
    </section>
  );
}
