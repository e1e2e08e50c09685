import { ModelPanel } from './panels/ModelPanel';
import { OutputPanel } from './panels/OutputPanel';
import { PromptPanel } from './panels/PromptPanel';
import { ExperimentError, SharePanel } from './panels/SharePanel';
import { SteeringPanel } from './panels/SteeringPanel';
import { useStore } from './store';
import { AnalysisPanel } from './views/AnalysisPanel';

export function App() {
  const urlNotes = useStore((s) => s.urlNotes);
  return (
    <div className="app">
      <header>
        <h1>Rudder</h1>
        <p className="tagline">Small language models, running in this tab.</p>
      </header>
      <ExperimentError />
      {urlNotes.length > 0 && (
        <div className="note" role="status" data-testid="url-notes">
          {urlNotes.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </div>
      )}
      <main>
        <div className="side">
          <ModelPanel />
          <SharePanel />
        </div>
        <div className="work">
          <div className="inputs">
            <PromptPanel />
            <SteeringPanel />
          </div>
          <OutputPanel />
          <AnalysisPanel />
        </div>
      </main>
    </div>
  );
}
