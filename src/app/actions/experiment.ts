/**
 * Every edit of the Experiment goes through `edit`, which works out what the edit invalidates:
 * pairs or where they are read → rebuild the vector shown and re-run the steered side after a
 * pause; how the vector is applied (strength, operator, interventions) → re-run the steered side
 * soon; the prompt or the generation settings → nothing until Generate. The URL hash follows
 * every edit.
 */
import type { Experiment, Steering } from '../../experiment';
import { useStore } from '../store';
import { PAIRS_DELAY_MS, scheduleSteered } from './generate';
import { scheduleHashWrite } from './hash';
import { scheduleVector } from './vector';

const { getState, setState } = useStore;

/**
 * Fields of `steering` that change the vector itself (not just how it is applied); the operator
 * decides whether an ActAdd recipe applies (usesActAdd), and an unchanged source is not rebuilt.
 */
const VECTOR_FIELDS = [
  'pairs',
  'hook',
  'layers',
  'position',
  'method',
  'chat',
  'vector',
  'recipe',
  'operator',
] as const;

/** What the activation fingerprint reads: an edit of any of these leaves a link's fingerprint stale. */
const FINGERPRINTED = ['model', 'prompt', 'steering', 'vectors', 'interventions', 'planes'] as const;

export function edit(change: (e: Experiment) => Experiment): void {
  const prev = getState().experiment;
  let next = change(prev);
  if (next === prev) return;
  if (next.fingerprint && FINGERPRINTED.some((f) => prev[f] !== next[f])) {
    const { fingerprint: _, ...rest } = next;
    next = rest;
    // The banner spoke of the run the link made, which this edit changes.
    setState({ replayCheck: undefined });
  }
  setState({ experiment: next });
  scheduleHashWrite();
  if (VECTOR_FIELDS.some((f) => prev.steering[f] !== next.steering[f]) || prev.vectors !== next.vectors) {
    scheduleVector();
    scheduleSteered(PAIRS_DELAY_MS);
  } else if (
    prev.steering !== next.steering ||
    prev.interventions !== next.interventions ||
    prev.planes !== next.planes
  ) {
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
