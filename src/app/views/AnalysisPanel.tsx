/**
 * The live views below the steering loop, one at a time in tabs (WAI-ARIA tabs: arrow keys move
 * between them). Which tab is open is part of the experiment's view, so a link opens on it.
 */
import { type KeyboardEvent, useId } from 'react';
import type { ViewTab } from '../../experiment';
import { edit } from '../actions/experiment';
import { Explainer } from '../explain';
import { useStore } from '../store';
import { FunctionVectorView } from './FunctionVectorView';
import { HeadsView } from './HeadsView';
import { LensView } from './LensView';
import { MethodsView } from './MethodsView';
import { RefusalView } from './RefusalView';
import { SaeView } from './SaeView';
import './AnalysisPanel.css';

const TABS: readonly {
  readonly id: ViewTab;
  readonly label: string;
  readonly View: () => React.ReactNode;
}[] = [
  { id: 'lens', label: 'Logit lens', View: LensView },
  { id: 'heads', label: 'Head gates', View: HeadsView },
  { id: 'refusal', label: 'Refusal circuit', View: RefusalView },
  { id: 'methods', label: 'Methods', View: MethodsView },
  { id: 'fv', label: 'Function vectors', View: FunctionVectorView },
  { id: 'sae', label: 'Sparse autoencoder', View: SaeView },
];

function selectTab(tab: ViewTab): void {
  edit((e) => (e.view.tab === tab ? e : { ...e, view: { ...e.view, tab } }));
}

export function AnalysisPanel() {
  const tab = useStore((s) => s.experiment.view.tab);
  const id = useId();
  const current = TABS.find((t) => t.id === tab) ?? TABS[0]!;
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(current);
    const next =
      e.key === 'ArrowRight'
        ? TABS[(i + 1) % TABS.length]
        : e.key === 'ArrowLeft'
          ? TABS.at(i - 1)
          : undefined;
    if (!next) return;
    e.preventDefault();
    selectTab(next.id);
    document.getElementById(`${id}-${next.id}`)?.focus();
  };
  return (
    <section className="panel analysis" aria-label="Views" data-testid="analysis-panel">
      <div role="tablist" aria-label="Views" className="tabs" onKeyDown={onKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            id={`${id}-${t.id}`}
            type="button"
            role="tab"
            aria-selected={t.id === current.id}
            aria-controls={`${id}-panel`}
            tabIndex={t.id === current.id ? 0 : -1}
            onClick={() => selectTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${current.id}`} className="tab-panel">
        <Explainer key={current.id} id={current.id} />
        <current.View />
      </div>
    </section>
  );
}
