import type { StateCreator } from 'zustand';
import type { LoadedModel } from '../../worker';
import type { RudderState } from './index';

/** A model the app ships in `models/`; `available` is unknown until its config.json was probed. */
export interface ShippedModel {
  readonly name: string;
  readonly label: string;
  readonly description?: string;
  readonly available?: boolean;
  /** Content hash of its folder (models/versions.json): files are cached per version. */
  readonly version?: string;
}

/** What the person asked to load, in a form that can be shown and (later) put in a link. */
export type ModelChoice =
  | { readonly kind: 'shipped'; readonly name: string }
  | { readonly kind: 'hub'; readonly repo: string; readonly revision?: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'files'; readonly label: string };

export interface FileProgress {
  readonly loaded: number;
  readonly total: number | undefined;
}

export interface Loading {
  readonly choice: ModelChoice;
  readonly files: Readonly<Record<string, FileProgress>>;
}

export interface ShownError {
  readonly code: string;
  readonly message: string;
}

export interface ModelSlice {
  shipped: readonly ShippedModel[];
  /** Why the default model did not load on open (e.g. the organisms are not built yet). */
  shippedNote: string | undefined;
  current: LoadedModel | undefined;
  currentChoice: ModelChoice | undefined;
  loading: Loading | undefined;
  loadError: (ShownError & { readonly choice: ModelChoice }) | undefined;
}

export const createModelSlice: StateCreator<RudderState, [], [], ModelSlice> = () => ({
  shipped: [],
  shippedNote: undefined,
  current: undefined,
  currentChoice: undefined,
  loading: undefined,
  loadError: undefined,
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
