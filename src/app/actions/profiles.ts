/**
 * The methods view's job: layer activity and activation sparsity of the experiment's prompt on
 * the current model (unsteered), measured when the view opens or the prompt or model changes;
 * the view's thresholds (τ, ε) only change what is drawn, so they never rerun it.
 */
import type { MethodsViewSettings } from '../../experiment';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { edit } from './experiment';
import { runJob } from './job';

const { getState } = useStore;

export function readProfiles(): void {
  const { current: model, experiment } = getState();
  if (!model || experiment.prompt.text.trim() === '') return;
  void runJob(['profiles'], {
    request: JSON.stringify([model.id, experiment.prompt]),
    call: () => modelWorker().layerProfiles({ experiment }),
    results: (profiles) => ({ profiles }),
  });
}

export function editMethodsView(patch: Partial<MethodsViewSettings>): void {
  edit((e) => ({ ...e, view: { ...e.view, methods: { ...e.view.methods, ...patch } } }));
}
