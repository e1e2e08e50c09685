/** The prompt, the generation settings and Generate / Stop. Ctrl+Enter generates, Escape stops. */
import { type KeyboardEvent, useId } from 'react';
import type { GenerationSettings } from '../../experiment';
import { editGeneration, editPrompt } from '../actions/experiment';
import { generate, stop } from '../actions/generate';
import { Explainer } from '../explain';
import { useStore } from '../store';
import './PromptPanel.css';

export function PromptPanel() {
  const prompt = useStore((s) => s.experiment.prompt.text);
  const settings = useStore((s) => s.experiment.generation);
  const hasModel = useStore((s) => s.current !== undefined);
  const canChat = useStore((s) => s.current?.hasChatTemplate ?? false);
  const chat = useStore((s) => s.experiment.prompt.chat);
  const running = useStore((s) => s.generation.status === 'running');
  const id = useId();

  const set = (patch: Partial<GenerationSettings>) => editGeneration(patch);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && hasModel) {
      e.preventDefault();
      void generate();
    } else if (e.key === 'Escape' && running) {
      stop();
    }
  };

  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="prompt-panel">
      <h2 id={`${id}-h`}>Prompt</h2>
      <Explainer id="prompt" />
      <textarea
        id={`${id}-prompt`}
        aria-label="Prompt"
        rows={3}
        value={prompt}
        onChange={(e) => editPrompt({ text: e.target.value })}
        onKeyDown={onKey}
      />
      <div className="settings">
        <NumberField
          label="Max tokens"
          value={settings.maxTokens}
          min={1}
          max={4096}
          step={1}
          onChange={(v) => set({ maxTokens: v })}
        />
        <NumberField
          label="Temperature"
          value={settings.temperature}
          min={0}
          max={2}
          step={0.05}
          onChange={(v) => set({ temperature: v })}
        />
        <NumberField
          label="Top-p"
          value={settings.topP}
          min={0.01}
          max={1}
          step={0.01}
          onChange={(v) => set({ topP: v })}
        />
        <NumberField
          label="Seed"
          value={settings.seed}
          min={0}
          max={4294967295}
          step={1}
          onChange={(v) => set({ seed: v })}
        />
        {canChat && (
          <label className="check">
            <input type="checkbox" checked={chat} onChange={(e) => editPrompt({ chat: e.target.checked })} />{' '}
            Chat template
          </label>
        )}
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={!hasModel} onClick={() => void generate()}>
          Generate
        </button>
        <button type="button" disabled={!running} onClick={stop}>
          Stop
        </button>
        <span className="hint">Ctrl+Enter generates, Escape stops</span>
      </div>
    </section>
  );
}

interface NumberFieldProps {
  readonly label: string;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly onChange: (v: number) => void;
}

export function NumberField({ label, value, min, max, step, onChange }: NumberFieldProps) {
  const id = useId();
  return (
    <span className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        value={value}
        min={min}
        max={max}
        step={step}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          // An empty or half-typed field keeps the last valid value.
          if (Number.isFinite(v) && v >= min && v <= max) onChange(v);
        }}
      />
    </span>
  );
}
