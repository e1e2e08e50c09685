/**
 * Every edit of the Experiment goes through `edit`, which works out what the edit invalidates:
 * pairs or where they are read → rebuild the vector (then re-run the steered side); the
 * coefficient or how the vector is applied → re-run the steered side only; the prompt or the
 * generation settings → nothing until Generate. The URL hash follows every edit.
 */
import type { Experiment, Steering } from '../../experiment';
import { useStore } from '../store';
import { scheduleHashWrite } from './share';
import { scheduleSteered, scheduleVector } from './steer';

const { getState, setState } = useStore;

/** Fields of `steering` that change the vector itself (not just how it is applied). */
const VECTOR_FIELDS = ['pairs', 'hook', 'layers', 'position', 'method', 'chat', 'vector'] as const;

export function edit(change: (e: Experiment) => Experiment): void {
  const prev = getState().experiment;
  const next = change(prev);
  if (next === prev) return;
  setState({ experiment: next });
  scheduleHashWrite();
  if (VECTOR_FIELDS.some((f) => prev.steering[f] !== next.steering[f]) || prev.vectors !== next.vectors) {
    scheduleVector();
  } else if (prev.steering !== next.steering || prev.interventions !== next.interventions) {
    scheduleSteered();
  }
}

export function editSteering(patch: Partial<Steering>): void {
  edit((e) => ({ ...e, steering: { ...e.steering, ...patch } }));
}

export function editPrompt(patch: Partial<Experiment['prompt']>): void {
  edit((e) => ({ ...e, prompt: { ...e.prompt, ...patch } }));
}

export function editGeneration(patch: Partial<Experiment['generation']>): void {
  edit((e) => ({ ...e, generation: { ...e.generation, ...patch } }));
}
