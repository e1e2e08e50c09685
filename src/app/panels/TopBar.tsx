/**
 * The bar above the steering loop: the model in use (or its download progress, or why it failed)
 * with a way to the model panel, the theme (part of the experiment, so a link carries it) and a
 * large-text mode for projectors (a property of the screen, not of the experiment: kept in this
 * browser only).
 */
import { useEffect, useState } from 'react';
import { edit } from '../actions/experiment';
import { BACKEND_LABELS } from '../format';
import { LessonsLink } from '../lessons/Lessons';
import { choiceLabel, useStore } from '../store';
import { TourButton } from './Tour';
import './TopBar.css';

type Theme = 'auto' | 'light' | 'dark';
const THEMES: readonly { readonly id: Theme; readonly label: string }[] = [
  { id: 'auto', label: 'Auto' },
  { id: 'light', label: 'Light' },
  { id: 'dark', label: 'Dark' },
];
const TEXT_KEY = 'rudder:large-text';

const FOCUSABLE = 'input:not([disabled]), select, textarea, button:not([disabled])';

/**
 * Moves focus (and the view) to the first control matching `selector` inside element `id`.
 * Skip links cannot be `#anchors` here: the hash holds the experiment.
 */
export function focusTarget(id: string, selector = FOCUSABLE): void {
  const el = document.getElementById(id);
  const target = el?.querySelector<HTMLElement>(selector) ?? el?.querySelector<HTMLElement>(FOCUSABLE);
  if (!el) return;
  el.scrollIntoView({ block: 'nearest' });
  target?.focus({ preventScroll: true });
}

export function TopBar() {
  return (
    <header className="topbar">
      <div className="brand">
        <h1>Rudder</h1>
        <p className="tagline">Steer small language models, running in this tab.</p>
      </div>
      <ModelChip />
      <div className="prefs">
        <TourButton />
        <LessonsLink />
        <ThemeSwitch />
        <LargeText />
      </div>
    </header>
  );
}

function ModelChip() {
  const current = useStore((s) => s.current);
  const load = useStore((s) => s.load);
  const choice = useStore((s) => s.loadChoice);
  let body: React.ReactNode;
  let state: string;
  if (load.status === 'running' && choice) {
    state = 'loading';
    const files = Object.values(load.progress?.files ?? {});
    const total = files.reduce((a, f) => a + (f.total ?? 0), 0);
    const done = files.reduce((a, f) => a + f.loaded, 0);
    const known = files.length > 0 && files.every((f) => f.total !== undefined) && total > 0;
    body = (
      <>
        <span className="chip-text">Loading {choiceLabel(choice)}…</span>
        <progress
          aria-label="Model download"
          max={known ? total : undefined}
          value={known ? done : undefined}
        />
      </>
    );
  } else if (load.status === 'error' && !current) {
    state = 'error';
    body = <span className="chip-text">Could not load {choice ? choiceLabel(choice) : 'the model'}</span>;
  } else if (current) {
    // The chip tells the model in use; a failed attempt to replace it is the model panel's
    // (dismissible) message, not a red dot on a model that works.
    state = 'ready';
    body = (
      <span className="chip-text">
        <strong>{current.id.replace(/^.*\/models\//, '')}</strong> on {BACKEND_LABELS[current.backend.name]}
        {current.backend.software ? ' (software, slow)' : ''}
      </span>
    );
  } else {
    state = 'empty';
    body = <span className="chip-text">No model loaded</span>;
  }
  return (
    <div className="model-chip" data-state={state} data-testid="model-chip">
      <span className="dot" aria-hidden="true" />
      {body}
      <button type="button" className="link" onClick={() => focusTarget('model-area')}>
        {state === 'error' || state === 'empty' ? 'Choose a model' : 'Change model'}
      </button>
    </div>
  );
}

function ThemeSwitch() {
  const theme = useStore((s) => s.experiment.view.theme);
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'auto') delete root.dataset.theme;
    else root.dataset.theme = theme;
  }, [theme]);
  const set = (t: Theme) => edit((e) => (e.view.theme === t ? e : { ...e, view: { ...e.view, theme: t } }));
  return (
    <fieldset className="segmented" data-testid="theme-switch">
      <legend className="visually-hidden">Theme</legend>
      <span aria-hidden="true" className="segmented-label">
        Theme
      </span>
      {THEMES.map((t) => (
        <button
          key={t.id}
          type="button"
          className="seg"
          aria-pressed={theme === t.id}
          aria-label={`${t.label} theme`}
          title={t.id === 'auto' ? "Follow the system's setting" : undefined}
          onClick={() => set(t.id)}
        >
          {t.label}
        </button>
      ))}
    </fieldset>
  );
}

function LargeText() {
  const [large, setLarge] = useState(() => readLarge());
  useEffect(() => {
    const root = document.documentElement;
    if (large) root.dataset.text = 'large';
    else delete root.dataset.text;
    try {
      localStorage.setItem(TEXT_KEY, large ? '1' : '0');
    } catch {
      // Storage refused (private mode): the setting lasts for this page only.
    }
  }, [large]);
  return (
    <button
      type="button"
      className="text-size"
      aria-pressed={large}
      title="Larger text for projectors and the back of the room"
      onClick={() => setLarge(!large)}
    >
      <span aria-hidden="true">A</span>
      <span aria-hidden="true" className="big">
        A
      </span>{' '}
      Large text
    </button>
  );
}

function readLarge(): boolean {
  try {
    return localStorage.getItem(TEXT_KEY) === '1';
  } catch {
    return false;
  }
}
