import type { StateCreator } from 'zustand';
import type { WeightPrecision } from '../../engine';
import type { ModelSource } from '../../experiment';
import type { LoadEstimate, LoadedModel } from '../../worker';
import type { ModelAsk } from '../actions/model-ask';
import type { RudderState } from './index';
import { IDLE, type JobState } from './jobs';

/** A model the app ships in `models/`; `available` is unknown until its config.json was probed. */
export interface ShippedModel {
  readonly name: string;
  readonly label: string;
  readonly description?: string;
  readonly available?: boolean;
  /** Content hash of its folder (models/versions.json): files are cached per version. */
  readonly version?: string;
}

/**
 * What the person asked to load, in a form that can be shown and put in a link; `precision`:
 * its matrices rounded to bfloat16 as it loads (the picker's "16-bit weights").
 */
export type ModelChoice = (
  | { readonly kind: 'shipped'; readonly name: string }
  | { readonly kind: 'hub'; readonly repo: string; readonly revision?: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'files'; readonly label: string }
) & { readonly precision?: WeightPrecision };

export interface FileProgress {
  readonly loaded: number;
  readonly total: number | undefined;
}

/** A running load's progress: the memory estimate (once config.json is read) and each file's download. */
export interface LoadShown {
  readonly estimate?: LoadEstimate;
  readonly files: Readonly<Record<string, FileProgress>>;
}

export interface ModelSlice {
  shipped: readonly ShippedModel[];
  /** Why the default model did not load on open (e.g. the organisms are not built yet). */
  shippedNote: string | undefined;
  /** The model in use (it stays while another loads, and when that fails). */
  current: LoadedModel | undefined;
  currentChoice: ModelChoice | undefined;
  /** The last load asked for (`loadChoice`): running with its estimate and per-file progress, or why it failed. */
  load: JobState<LoadedModel, LoadShown>;
  loadChoice: ModelChoice | undefined;
  /** A link's model waiting for the person's Load or Keep (actions/model-ask.ts). */
  modelAsk: ModelAsk | undefined;
  /** The picker's "16-bit weights": how the next model it loads is held (the current one's, once loaded). */
  precision: WeightPrecision | undefined;
}

export const createModelSlice: StateCreator<RudderState, [], [], ModelSlice> = () => ({
  shipped: [],
  shippedNote: undefined,
  current: undefined,
  currentChoice: undefined,
  load: IDLE,
  loadChoice: undefined,
  modelAsk: undefined,
  precision: undefined,
});

export function choiceLabel(choice: ModelChoice): string {
  switch (choice.kind) {
    case 'shipped':
      return `models/${choice.name}`;
    case 'hub':
      return choice.revision ? `${choice.repo}@${choice.revision}` : choice.repo;
    case 'url':
      return choice.url;
    case 'files':
      return choice.label;
  }
}

/** The choice an experiment's model source names; a dropped folder cannot travel, so none. */
export function modelChoice(source: ModelSource): ModelChoice | undefined {
  return source.kind === 'files' ? undefined : source;
}

/** The experiment's model source of a choice (a dropped folder keeps only its label). */
export function modelSource(choice: ModelChoice): ModelSource {
  if (choice.kind !== 'files') return choice;
  return { kind: 'files', label: choice.label, ...(choice.precision ? { precision: choice.precision } : {}) };
}

/** The same choice held another way (the picker's "16-bit weights" switched). */
export function withPrecision(choice: ModelChoice, precision: WeightPrecision | undefined): ModelChoice {
  const { precision: _, ...rest } = choice;
  return precision ? { ...rest, precision } : rest;
}
