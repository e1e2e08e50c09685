import { completePairs } from '../../experiment';
import { Explainer } from '../explain';
import { useStore } from '../store';
import { LayerStrip } from './LayerStrip';
import { ModelExport } from './ModelExport';
import { PairsEditor } from './PairsEditor';
import { SteerControls } from './SteerControls';
import './SteeringPanel.css';

export function SteeringPanel() {
  const hasPairs = useStore((s) => completePairs(s.experiment.steering.pairs).length > 0);
  return (
    <section className="panel steering" aria-labelledby="steering-heading" data-testid="steering-panel">
      <h2 id="steering-heading">Steering</h2>
      <Explainer id="steering" />
      <PairsEditor />
      <SteerControls />
      <LayerStrip />
      <ModelExport
        kind="steer2edit"
        label="Export as edited model"
        title="Download this model with Steer2Edit's rank-1 weight edits from the steering pairs at the steered layers (no hook needed), as a zipped Hugging Face folder."
        edit={hasPairs ? { kind: 'steer2edit' } : undefined}
      />
    </section>
  );
}
