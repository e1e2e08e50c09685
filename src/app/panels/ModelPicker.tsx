/** Choosing a model: a shipped organism, any Hub repo id, or a local folder (chosen or dropped). */
import { type DragEvent, type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import { choosePrecision, loadFolder, loadModel, setHubToken } from '../actions/model';
import { filesFromDrop, filesFromInput } from '../drop';
import { hubTokenFor } from '../hub-token';
import { parseModel } from '../params';
import { useStore, withPrecision } from '../store';

export function ModelPicker() {
  const shipped = useStore((s) => s.shipped);
  const currentChoice = useStore((s) => s.currentChoice);
  // A Hub repo whose load failed (e.g. a shared link to a gated model): Enter in the token field retries it.
  const failedHub = useStore((s) =>
    s.load.status === 'error' && s.loadChoice?.kind === 'hub' ? s.loadChoice : undefined,
  );
  const hubToken = useStore((s) => s.hubToken);
  const hubEndpoint = useStore((s) => s.hubEndpoint);
  const precision = useStore((s) => s.precision);
  const [shippedName, setShippedName] = useState<string>();
  const [hubId, setHubId] = useState('');
  const [hubProblem, setHubProblem] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const ids = {
    shipped: useId(),
    hub: useId(),
    hubHint: useId(),
    token: useId(),
    tokenHint: useId(),
    folder: useId(),
    precisionHint: useId(),
  };
  const tokenWithheld = hubToken.trim() !== '' && hubTokenFor(hubToken, hubEndpoint) === undefined;

  const selected =
    shippedName ??
    (currentChoice?.kind === 'shipped'
      ? currentChoice.name
      : (shipped.find((m) => m.available) ?? shipped[0])?.name);
  const selectedAvailable = shipped.find((m) => m.name === selected)?.available !== false;

  const onShipped = (e: FormEvent) => {
    e.preventDefault();
    if (selected && selectedAvailable)
      void loadModel(withPrecision({ kind: 'shipped', name: selected }, precision));
  };

  const onHub = (e: FormEvent | KeyboardEvent) => {
    e.preventDefault();
    const choice = parseModel(hubId.trim());
    if (choice?.kind !== 'hub') {
      setHubProblem('Write a Hugging Face repo id as owner/name, e.g. openai-community/gpt2.');
      return;
    }
    setHubProblem(undefined);
    void loadModel(withPrecision(choice, precision));
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const folder = await filesFromDrop(e.dataTransfer);
    if (folder.files.length > 0) void loadFolder(folder);
  };

  return (
    <div className="picker">
      <form onSubmit={onShipped} className="row">
        <label htmlFor={ids.shipped}>Shipped</label>
        <select id={ids.shipped} value={selected ?? ''} onChange={(e) => setShippedName(e.target.value)}>
          {shipped.map((m) => (
            <option key={m.name} value={m.name}>
              {m.label}
              {m.available === false ? ' (not built yet)' : ''}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!selected || !selectedAvailable}>
          Load
        </button>
      </form>

      <form onSubmit={onHub} className="row">
        <label htmlFor={ids.hub}>Hub repo</label>
        <input
          id={ids.hub}
          type="text"
          placeholder="owner/name"
          spellCheck={false}
          autoComplete="off"
          value={hubId}
          aria-describedby={hubProblem ? ids.hubHint : undefined}
          aria-invalid={hubProblem ? true : undefined}
          onChange={(e) => setHubId(e.target.value)}
        />
        <button type="submit" disabled={hubId.trim() === ''}>
          Load
        </button>
      </form>
      {hubProblem && (
        <p id={ids.hubHint} className="hint error-text">
          {hubProblem}
        </p>
      )}
      <div className="row">
        <label htmlFor={ids.token}>Access token</label>
        <input
          id={ids.token}
          type="password"
          placeholder="hf_… (gated repos only)"
          spellCheck={false}
          autoComplete="off"
          value={hubToken}
          aria-describedby={ids.tokenHint}
          onChange={(e) => setHubToken(e.target.value)}
          // Enter loads the repo id above, or retries the Hub repo that just failed. The field is
          // kept out of that form so that browsers do not offer to save the token as a password.
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            if (hubId.trim() !== '') onHub(e);
            else if (failedHub) void loadModel(failedHub);
          }}
        />
      </div>
      <p id={ids.tokenHint} className="hint" data-testid="token-hint">
        For gated or private Hub repos. It stays in this tab only (until the tab closes): never saved, never
        in a link or an exported experiment.
        {tokenWithheld && ` It is not sent to ${hubEndpoint}, which is not the Hugging Face Hub.`}
      </p>

      <label className="check">
        <input
          type="checkbox"
          checked={precision === 'bfloat16'}
          aria-describedby={ids.precisionHint}
          onChange={(e) => void choosePrecision(e.target.checked ? 'bfloat16' : undefined)}
        />{' '}
        16-bit weights
      </label>
      <p id={ids.precisionHint} className="hint" data-testid="precision-hint">
        Matrices rounded to bfloat16 as the model loads: on WebAssembly half the memory and, for larger
        models, faster generation; results move slightly (not at all for a bfloat16 checkpoint). Reloads the
        model in use.
      </p>

      <section
        className={`dropzone${dragging ? ' dragging' : ''}`}
        aria-label="Local model folder"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => void onDrop(e)}
      >
        <label htmlFor={ids.folder}>Local folder</label>
        <input
          id={ids.folder}
          type="file"
          multiple
          // React does not know the attribute; the browser does.
          {...{ webkitdirectory: '' }}
          onChange={(e) => {
            if (e.target.files?.length) void loadFolder(filesFromInput(e.target.files));
            e.target.value = '';
          }}
        />
        <span className="hint">or drop a folder with config.json, tokenizer.json and the weights here</span>
      </section>
    </div>
  );
}
