/** What is loaded, what is loading (per-file progress), on which backend, and what went wrong. */
import { BACKEND_LABELS, formatBytes, formatCount } from '../format';
import { choiceLabel, useStore } from '../store';

export function LoadStatus() {
  const current = useStore((s) => s.current);
  const loading = useStore((s) => s.loading);
  const loadError = useStore((s) => s.loadError);
  const note = useStore((s) => s.shippedNote);

  return (
    <div className="load-status">
      {loading && (
        <div className="loading" data-testid="loading" aria-live="polite">
          <p>Loading {choiceLabel(loading.choice)}…</p>
          <ul className="files">
            {Object.entries(loading.files).map(([file, p]) => (
              <li key={file} data-testid="file-progress" data-file={file}>
                <span className="file-name">{file}</span>
                <progress value={p.loaded} max={p.total ?? undefined} aria-label={`Download of ${file}`} />
                <span className="file-bytes">
                  {formatBytes(p.loaded)}
                  {p.total !== undefined ? ` / ${formatBytes(p.total)}` : ''}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}

      {loadError && (
        <div className="error" role="alert" data-testid="load-error" data-code={loadError.code}>
          <p>
            <strong>Could not load {choiceLabel(loadError.choice)}.</strong> {loadError.message}
          </p>
          {current && <p>The previous model ({current.id}) is still loaded and usable.</p>}
        </div>
      )}

      {note && !current && (
        <p className="note" data-testid="shipped-note">
          {note}
        </p>
      )}

      {current && (
        <dl className="model-info" data-testid="model-info" data-model-id={current.id}>
          <dt>Model</dt>
          <dd data-testid="model-id">{current.id}</dd>
          <dt>Shape</dt>
          <dd>
            {current.spec.modelType}, {formatCount(current.parameters)} parameters, {current.spec.nLayers}{' '}
            layers, d_model {current.spec.dModel}
          </dd>
          <dt>Backend</dt>
          <dd data-testid="backend" data-backend={current.backend.name}>
            <strong>{BACKEND_LABELS[current.backend.name]}</strong>
            <span className="reason"> {current.backend.reason}</span>
          </dd>
          <dt>Loaded in</dt>
          <dd>{(current.loadMs / 1000).toFixed(1)} s</dd>
        </dl>
      )}
    </div>
  );
}
