/**
 * The harmful and harmless instructions the workflow uses: the model's own by default (nothing is
 * copied into the experiment or the link), or the person's edit, one instruction per line, which
 * the experiment then carries (bounded by the schema: 256 lines of 1000 characters per side).
 */
import { useEffect, useState } from 'react';
import type { Experiment } from '../../../experiment';
import type { RefusalSets } from '../../../worker';
import { setSets } from '../../actions/refusal';

const MAX_LINES = 256;
const MAX_CHARS = 1000;

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function SetsEditor(props: {
  readonly own: RefusalSets | undefined;
  readonly edited: Experiment['refusal'];
}) {
  const { own, edited } = props;
  const shown = (side: 'harmful' | 'harmless') => (edited[side] ?? own?.[side] ?? []).join('\n');
  const [harmful, setHarmful] = useState(shown('harmful'));
  const [harmless, setHarmless] = useState(shown('harmless'));
  // A link, a reset or the model's sets arriving replace what the boxes show.
  useEffect(() => {
    setHarmful(shown('harmful'));
    setHarmless(shown('harmless'));
  }, [own, edited]);

  const h = lines(harmful);
  const n = lines(harmless);
  const problem =
    h.length === 0 || n.length === 0
      ? 'Both sides need at least one instruction.'
      : h.length > MAX_LINES || n.length > MAX_LINES
        ? `At most ${MAX_LINES} instructions per side.`
        : [...h, ...n].some((l) => l.length > MAX_CHARS)
          ? `An instruction is longer than ${MAX_CHARS} characters.`
          : undefined;
  const same = (a: readonly string[], b: readonly string[] | undefined) =>
    b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
  const use = () => {
    if (problem) return;
    // A side equal to the model's own stays "the model's own", so the link does not copy it.
    setSets({
      ...(same(h, own?.harmful) ? {} : { harmful: h }),
      ...(same(n, own?.harmless) ? {} : { harmless: n }),
    });
  };
  const isEdited = edited.harmful !== undefined || edited.harmless !== undefined;
  return (
    <details className="refusal-sets" data-testid="refusal-sets">
      <summary>
        Instructions: {isEdited ? 'edited' : "the model's own"} (
        {(edited.harmful ?? own?.harmful ?? []).length} harmful,{' '}
        {(edited.harmless ?? own?.harmless ?? []).length} harmless)
      </summary>
      <div className="refusal-sets-boxes">
        <label>
          Harmful (one per line)
          <textarea
            aria-label="Harmful instructions"
            rows={6}
            value={harmful}
            onChange={(e) => setHarmful(e.target.value)}
          />
        </label>
        <label>
          Harmless (one per line)
          <textarea
            aria-label="Harmless instructions"
            rows={6}
            value={harmless}
            onChange={(e) => setHarmless(e.target.value)}
          />
        </label>
      </div>
      <div className="actions">
        <button type="button" onClick={use} disabled={problem !== undefined}>
          Use these instructions
        </button>
        <button type="button" onClick={() => setSets({})} disabled={!isEdited}>
          Back to the model's own
        </button>
        {problem && <span className="hint">{problem}</span>}
      </div>
    </details>
  );
}
