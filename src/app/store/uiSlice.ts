import type { StateCreator } from 'zustand';
import type { Steering } from '../../experiment';
import type { BackendName, FingerprintOutcome, ModelEdit } from '../../worker';
import { readHubToken } from '../hub-token';
import type { RudderState } from './index';
import type { ShownError } from './jobs';

/** Settings from the page's URL (`?backend=`, `?hub=`, `?threads=`) and other view state. */
export interface UiSlice {
  backendPreference: BackendName | undefined;
  /** WebAssembly threads asked for by `?threads=N`; undefined: the worker's default. */
  wasmThreads: number | undefined;
  /** The Hugging Face Hub endpoint (tests point it at a local server). */
  hubEndpoint: string | undefined;
  /** The Hub access token typed in the model panel (mirrored in sessionStorage only: hub-token.ts). */
  hubToken: string;
  /** Problems with the URL itself (an unknown backend name, a bad model id). */
  urlNotes: readonly string[];
  /** A link or file that could not be opened; the page went on with the default experiment. */
  experimentError: (ShownError & { readonly origin: 'link' | 'file' }) | undefined;
  /** Set once a continuation was asked for: from then on, steering edits re-run the steered side. */
  live: boolean;
  /** Feedback of Copy link / Export (e.g. "Link copied"). */
  shareNote: string | undefined;
  /** The link leaves the imported vector out (too large): it travels in the exported file. */
  linkBeside: boolean;
  /** Why the latest edits could not be saved in this browser, when they could not. */
  saveNote: string | undefined;
  /** What happened to the model worker (it died, or its GPU was lost) and how the page recovered. */
  workerNote: string | undefined;
  /** The one-screen tour is showing (a first visit, or the top bar's Tour button). */
  tourOpen: boolean;
  /** The steering fields the last preset replaced, as they were (its Undo). */
  presetUndo:
    | {
        readonly label: string;
        readonly previous: { readonly steering: Partial<Steering>; readonly chat: boolean };
      }
    | undefined;
  /**
   * A link's author fingerprint checked against this page's run (verified replay, METHODS.md §16):
   * checking, the outcome, or why it could not be checked.
   */
  replayCheck:
    | { readonly status: 'running' }
    | { readonly status: 'done'; readonly outcome: FingerprintOutcome }
    | { readonly status: 'error'; readonly message: string }
    | undefined;
  /** The last edited-model export (refusal view, steering panel): running, downloaded, or why not. */
  modelExport:
    | {
        readonly kind: ModelEdit['kind'];
        readonly status: 'running' | 'done' | 'error';
        readonly note?: string;
      }
    | undefined;
}

export const createUiSlice: StateCreator<RudderState, [], [], UiSlice> = () => ({
  backendPreference: undefined,
  wasmThreads: undefined,
  hubEndpoint: undefined,
  hubToken: readHubToken(),
  urlNotes: [],
  experimentError: undefined,
  live: false,
  shareNote: undefined,
  linkBeside: false,
  saveNote: undefined,
  presetUndo: undefined,
  workerNote: undefined,
  replayCheck: undefined,
  modelExport: undefined,
  tourOpen: false,
});
