/**
 * The steering vector as files: download it as Rudder JSON, safetensors or a llama.cpp control
 * vector (GGUF), or import one of those as the steering vector. An imported vector has no recipe,
 * so it travels inline in the experiment (and the link); "Use pairs" goes back to the pairs'
 * vector. A file that cannot be read, or does not fit the loaded model, leaves everything as it was
 * and says why.
 */
import { type ChangeEvent, useRef, useState } from 'react';
import { inlineLayerList, steeringVectorSource } from '../../experiment';
import type { VectorFileFormat } from '../../worker';
import { errorOf } from '../actions/errors';
import { editSteering } from '../actions/experiment';
import { type ShownError, useStore } from '../store';
import { modelWorker } from '../worker';

const FORMATS: readonly { format: VectorFileFormat; label: string }[] = [
  { format: 'json', label: 'JSON' },
  { format: 'safetensors', label: 'safetensors' },
  { format: 'gguf', label: 'GGUF' },
];

/** Checked before reading the file into memory (the worker checks again). */
const MAX_BYTES = 16 * 1024 * 1024;

export function VectorFiles() {
  const ready = useStore((s) => s.vector.status === 'ready');
  const imported = useStore((s) => s.experiment.steering.vector);
  const hasModel = useStore((s) => s.current !== undefined);
  const [error, setError] = useState<ShownError | undefined>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const download = async (format: VectorFileFormat) => {
    const { current, experiment } = useStore.getState();
    if (!current) return;
    const source = steeringVectorSource(experiment.steering, {
      id: current.id,
      nLayers: current.spec.nLayers,
    });
    if (!source) return;
    setError(undefined);
    try {
      const file = await modelWorker().exportVector(source, format);
      const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.mime }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(errorOf(e));
    }
  };

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setError(undefined);
    if (file.size > MAX_BYTES) {
      setError({
        code: 'vector-too-large',
        message: `${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB; vector files over 16 MB are refused.`,
      });
      return;
    }
    setBusy(true);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const vector = await modelWorker().importVector(bytes, file.name);
      editSteering({ vector, layers: inlineLayerList(vector) });
    } catch (err) {
      setError(errorOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="vector-files" data-testid="vector-files">
      <span className="muted">Vector file</span>
      {FORMATS.map(({ format, label }) => (
        <button
          key={format}
          type="button"
          disabled={!ready}
          aria-label={`Export vector as ${label}`}
          onClick={() => void download(format)}
        >
          {label}
        </button>
      ))}
      <button type="button" disabled={!hasModel || busy} onClick={() => input.current?.click()}>
        {busy ? 'Reading…' : 'Import…'}
      </button>
      <input
        ref={input}
        type="file"
        hidden
        aria-label="Import vector file"
        accept=".json,.safetensors,.gguf,application/json"
        onChange={(e) => void onFile(e)}
      />
      {imported && (
        <span className="imported" data-testid="imported-vector">
          Using {imported.name ?? 'an imported vector'} ({imported.format ?? 'file'}, {imported.hook}, layer
          {Object.keys(imported.layers).length > 1 ? 's' : ''} {inlineLayerList(imported).join(', ')})
          <button type="button" onClick={() => editSteering({ vector: undefined })}>
            Use pairs
          </button>
        </span>
      )}
      {error && (
        <div className="error" role="alert" data-testid="vector-file-error" data-code={error.code}>
          {error.message}
        </div>
      )}
    </div>
  );
}
