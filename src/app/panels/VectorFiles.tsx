/**
 * The steering vector as files: download it as Rudder JSON, safetensors or a llama.cpp control
 * vector (GGUF), or import one of those as the steering vector. An imported vector has no recipe,
 * so it travels inline in the experiment (and the link); "Use pairs" goes back to the pairs'
 * vector. A file that cannot be read, or does not fit the loaded model, leaves everything as it was
 * and says why.
 */
import { type ChangeEvent, useRef } from 'react';
import { inlineLayerList } from '../../experiment';
import type { InlineVector, VectorFileFormat } from '../../worker';
import { editSteering } from '../actions/experiment';
import { exportVector, importVector } from '../actions/vector';
import { useStore } from '../store';

const FORMATS: readonly { format: VectorFileFormat; label: string }[] = [
  { format: 'json', label: 'JSON' },
  { format: 'safetensors', label: 'safetensors' },
  { format: 'gguf', label: 'GGUF' },
];

export function VectorFiles() {
  const ready = useStore((s) => s.vector.status === 'done');
  const imported = useStore((s) => s.experiment.steering.vector);
  const currentId = useStore((s) => s.current?.id);
  const hasModel = currentId !== undefined;
  const file = useStore((s) => s.vectorFile);
  const busy = file.status === 'running';
  const error = file.status === 'error' ? file.error : undefined;
  const input = useRef<HTMLInputElement>(null);
  const warning = imported && currentId ? otherModel(imported, currentId) : undefined;

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const chosen = e.target.files?.[0];
    e.target.value = '';
    if (!chosen) return;
    const vector = await importVector(chosen);
    if (vector) editSteering({ vector, layers: inlineLayerList(vector) });
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
          onClick={() => void exportVector(format)}
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
      {warning && (
        <p className="note" role="status" data-testid="vector-model-warning">
          {warning}
        </p>
      )}
      {imported && (
        <span className="imported" data-testid="imported-vector">
          Using {imported.name ?? 'an imported vector'} ({inlineSource(imported)}, {imported.hook}, layer
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

/** Where an inline vector came from, as the page names it: its file's format, or the view that made it. */
export function inlineSource(v: InlineVector): string {
  if (v.origin === 'function-vector') return 'function vector';
  if (v.origin === 'sae-feature') return 'SAE feature';
  return v.format ?? 'file';
}

/**
 * What differs when an imported vector (whose width fits: others are refused on import) names
 * another model than the one loaded, or none; undefined when it names this one.
 */
export function otherModel(v: InlineVector, modelId: string): string | undefined {
  const risk = `Its width fits (${v.width}), so it steers, but a direction found in one model means nothing in another unless they share weights (a fine-tune of the same base).`;
  if (!v.model) return `The file does not name the model it was made for. ${risk}`;
  if (v.model.startsWith('gguf:'))
    return `A control vector names only its architecture (${v.model.slice(5)}), not the model it was made for; the loaded model is ${modelId}. ${risk}`;
  if (v.model === modelId) return undefined;
  return `This vector was made for ${v.model}, but the loaded model is ${modelId}. ${risk}`;
}
