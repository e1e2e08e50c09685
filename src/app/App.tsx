/**
 * The page: a bar with the model and the display settings, then the steering loop in three
 * columns sized to fit a 1366×768 laptop screen without scrolling (prompt, pairs and strength,
 * the two continuations), then the live views below the fold. On narrow screens the columns
 * stack. The DOM order is the tab order: prompt, steering, outputs, then the model panel (placed
 * under the prompt on wide screens), then the views.
 */

import { Lessons } from './lessons/Lessons';
import { ModelAsk } from './panels/ModelAsk';
import { ModelPanel } from './panels/ModelPanel';
import { OutputPanel } from './panels/OutputPanel';
import { PromptPanel } from './panels/PromptPanel';
import { ExperimentError, ReplayCheck, SharePanel } from './panels/SharePanel';
import { SteeringPanel } from './panels/SteeringPanel';
import { focusTarget, TopBar } from './panels/TopBar';
import { Tour } from './panels/Tour';
import { useStore } from './store';
import { AnalysisPanel } from './views/AnalysisPanel';

export function App() {
  const urlNotes = useStore((s) => s.urlNotes);
  const workerNote = useStore((s) => s.workerNote);
  return (
    <div className="app">
      <nav className="skip" aria-label="Skip to">
        <button type="button" onClick={() => focusTarget('steering', 'input[type=range]')}>
          Skip to the steering strength
        </button>
        <button type="button" onClick={() => focusTarget('views')}>
          Skip to the live views
        </button>
      </nav>
      <TopBar />
      <Tour />
      <Lessons />
      <ExperimentError />
      <ReplayCheck />
      <ModelAsk />
      {urlNotes.length > 0 && (
        <div className="note" role="status" data-testid="url-notes">
          {urlNotes.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </div>
      )}
      {workerNote && (
        <div className="note" role="status" data-testid="worker-note">
          <p>{workerNote}</p>
          <button type="button" onClick={() => useStore.setState({ workerNote: undefined })}>
            Dismiss
          </button>
        </div>
      )}
      <main className="loop">
        <div className="col col-prompt">
          <PromptPanel />
          <SharePanel />
        </div>
        <div className="col col-steer" id="steering">
          <SteeringPanel />
        </div>
        <div className="col col-out">
          <OutputPanel />
        </div>
        {/* Under the prompt on wide screens, but after the loop in the tab order. */}
        <div className="col col-model model-area" id="model-area">
          <ModelPanel />
        </div>
      </main>
      <div id="views" className="views">
        <AnalysisPanel />
      </div>
    </div>
  );
}
