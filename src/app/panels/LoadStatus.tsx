/**
 * What is loaded, what is loading (the memory estimate, then per-file progress), on which
 * backend, and what went wrong.
 */

import { formatBytes } from '../../engine/bytes';
import type { BackendInfo, LoadEstimate } from '../../worker';
import { dismissLoadError } from '../actions/model';
import { BACKEND_LABELS, formatCount } from '../format';
import { choiceLabel, useStore } from '../store';

export function LoadStatus() {
  const current = useStore((s) => s.current);
  const load = useStore((s) => s.load);
  const choice = useStore((s) => s.loadChoice);
  const note = useStore((s) => s.shippedNote);

  return (
    <div className="load-status">
      {load.status === 'running' && choice && (
        <div className="loading" data-testid="loading" aria-live="polite">
          <p>Loading {choiceLabel(choice)}…</p>
          {load.progress?.estimate && <Estimate estimate={load.progress.estimate} />}
          <ul className="files">
            {Object.entries(load.progress?.files ?? {}).map(([file, p]) => (
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

      {load.status === 'error' && load.error && choice && (
        <div className="error" role="alert" data-testid="load-error" data-code={load.error.code}>
          <p>
            <strong>Could not load {choiceLabel(choice)}.</strong> {load.error.message}
          </p>
          {current && <p>The previous model ({current.id}) is still loaded and usable.</p>}
          <button type="button" onClick={dismissLoadError}>
            Dismiss
          </button>
        </div>
      )}

      {note && !current && (
        <p className="note" data-testid="shipped-note">
          {note}
        </p>
      )}

      {current?.backend.software && <SoftwareBackend info={current.backend} />}

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
          <dd
            data-testid="backend"
            data-backend={current.backend.name}
            data-threads={current.backend.threads}
          >
            <strong>{BACKEND_LABELS[current.backend.name]}</strong>
            <span className="reason"> {current.backend.reason}</span>
          </dd>
          {(current.backend.passedOver?.length ?? 0) > 0 && (
            <dd className="backend-why">
              <details>
                <summary>Why not a faster one</summary>
                <ul>
                  {current.backend.passedOver!.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              </details>
            </dd>
          )}
          <dt>Weights</dt>
          <dd
            data-testid="weights"
            data-precision={current.precision ?? 'checkpoint'}
            data-bytes={current.weightBytes}
          >
            {formatBytes(current.weightBytes)},{' '}
            {current.precision ? 'matrices rounded to bfloat16 (16-bit weights)' : "the checkpoint's values"}
          </dd>
          <dt>Loaded in</dt>
          <dd>{(current.loadMs / 1000).toFixed(1)} s</dd>
        </dl>
      )}
    </div>
  );
}

/** Told before the weights download: what the model will hold, and that it fits this tab. */
function Estimate({ estimate: e }: { estimate: LoadEstimate }) {
  return (
    <p
      className="estimate"
      data-testid="load-estimate"
      data-parameters={e.parameters}
      data-weight-bytes={e.weightBytes}
      data-total-bytes={e.totalBytes}
    >
      Needs about {formatBytes(e.totalBytes)}: {formatCount(e.parameters)} parameters as{' '}
      {formatBytes(e.weightBytes)} of {e.halfMatrices ? 'weights (matrices in 16 bits)' : 'float32 weights'},
      plus the cache and activations of {e.contextTokens} tokens. It fits: this tab can hold{' '}
      {formatBytes(e.maxTotalBytes)} on {BACKEND_LABELS[e.backend]}.
    </p>
  );
}

/**
 * A GPU backend running in software (asked for with ?backend=): it works, but on the CPU and many
 * times slower than WebAssembly (issue 15 saw 40x on SwiftShader), which looks like a broken page.
 */
function SoftwareBackend({ info }: { readonly info: BackendInfo }) {
  const useWasm = () => {
    const url = new URL(window.location.href);
    url.searchParams.set('backend', 'wasm');
    window.location.assign(url.href);
  };
  return (
    <div className="note" role="status" data-testid="software-backend">
      <p>
        <strong>
          {BACKEND_LABELS[info.name]} is running in software ({info.software}), on the CPU.
        </strong>{' '}
        Generation is many times slower here than on WebAssembly.
      </p>
      <button type="button" onClick={useWasm}>
        Use WebAssembly
      </button>
    </div>
  );
}
