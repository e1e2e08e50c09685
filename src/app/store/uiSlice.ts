import type { StateCreator } from 'zustand';
import type { BackendName } from '../../worker';
import type { RudderState } from './index';

/** Settings from the page's URL (`?backend=`, `?hub=`) and other view state. */
export interface UiSlice {
  backendPreference: BackendName | undefined;
  /** The Hugging Face Hub endpoint (tests point it at a local server). */
  hubEndpoint: string | undefined;
  /** Problems with the URL itself (an unknown backend name, a bad model id). */
  urlNotes: readonly string[];
}

export const createUiSlice: StateCreator<RudderState, [], [], UiSlice> = () => ({
  backendPreference: undefined,
  hubEndpoint: undefined,
  urlNotes: [],
});
