import { Explainer } from '../explain';
import { LoadStatus } from './LoadStatus';
import { ModelPicker } from './ModelPicker';
import './ModelPanel.css';

export function ModelPanel() {
  return (
    <section className="panel" aria-labelledby="model-heading" data-testid="model-panel">
      <h2 id="model-heading">Model</h2>
      <Explainer id="model" />
      <ModelPicker />
      <LoadStatus />
    </section>
  );
}
