/** Copy link, export and import of the experiment, and what happened to a link or file. */
import { useId } from 'react';
import { describeCheck } from '../../worker';
import { copyLink, exportFile, forgetSavedWork, importFile } from '../actions/share';
import { Explainer } from '../explain';
import { useStore } from '../store';

export function SharePanel() {
  const note = useStore((s) => s.shareNote);
  const beside = useStore((s) => s.linkBeside);
  const saveNote = useStore((s) => s.saveNote);
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="share-panel">
      <h2 id={`${id}-h`}>Share</h2>
      <Explainer id="share" />
      <div className="actions">
        <button type="button" className="primary" onClick={() => void copyLink()}>
          Copy link
        </button>
        <button type="button" onClick={exportFile}>
          Export
        </button>
        <label className="button">
          Import
          <input
            type="file"
            accept="application/json,.json"
            aria-label="Import experiment"
            className="visually-hidden"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void importFile(f);
            }}
          />
        </label>
      </div>
      {note && (
        <p className="muted" role="status" data-testid="share-note">
          {note}
        </p>
      )}
      {beside && (
        <div className="note" role="status" data-testid="link-beside">
          <p>
            The imported vector is too large for a link: the link carries everything else and says so. Share
            the experiment file beside it to pass the vector on.
          </p>
          <button type="button" onClick={exportFile}>
            Download experiment file
          </button>
        </div>
      )}
      {saveNote && (
        <p className="error" role="alert" data-testid="save-note">
          {saveNote}
        </p>
      )}
      <button type="button" onClick={forgetSavedWork}>
        Forget saved work
      </button>
    </section>
  );
}

/** A link or file that could not be opened: what happened, what to do, and a way to dismiss it. */
export function ExperimentError() {
  const err = useStore((s) => s.experimentError);
  if (!err) return null;
  return (
    <div
      className="error banner"
      role="alert"
      data-testid="experiment-error"
      data-code={err.code}
      data-origin={err.origin}
    >
      <p>{err.message}</p>
      <button type="button" onClick={() => useStore.setState({ experimentError: undefined })}>
        Dismiss
      </button>
    </div>
  );
}

/**
 * Verified replay (METHODS.md §16): after a link's run, whether it matches the author's, from the
 * activation fingerprint the link carries: the verdict, the numbers, and both backends.
 */
export function ReplayCheck() {
  const check = useStore((s) => s.replayCheck);
  if (!check) return null;
  const dismiss = (
    <button type="button" onClick={() => useStore.setState({ replayCheck: undefined })}>
      Dismiss
    </button>
  );
  if (check.status === 'running')
    return (
      <div className="note banner" role="status" data-testid="replay-check" data-verdict="checking">
        <p>Checking this run against the author's activation fingerprint…</p>
      </div>
    );
  if (check.status === 'error')
    return (
      <div className="error banner" role="alert" data-testid="replay-check" data-verdict="error">
        <p>The link's activation fingerprint could not be checked: {check.message}</p>
        {dismiss}
      </div>
    );
  const { outcome } = check;
  const c = outcome.check!;
  return (
    <div
      className={c.verdict === 'differs' ? 'error banner' : 'note banner'}
      role="status"
      data-testid="replay-check"
      data-verdict={c.verdict}
      data-max-rel-diff={c.maxRelDiff}
      data-tolerance={c.tolerance}
    >
      <p>{describeCheck(c, outcome)}</p>
      {dismiss}
    </div>
  );
}
