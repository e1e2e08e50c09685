import { Explainer } from '../explain';
import { LayerStrip } from './LayerStrip';
import { PairsEditor } from './PairsEditor';
import { SteerControls } from './SteerControls';

export function SteeringPanel() {
  return (
    <section className="panel steering" aria-labelledby="steering-heading" data-testid="steering-panel">
      <h2 id="steering-heading">Steering</h2>
      <Explainer id="steering" />
      <PairsEditor />
      <SteerControls />
      <LayerStrip />
    </section>
  );
}
