/**
 * What leaves the page with a share: the run's activation fingerprint (METHODS.md §16) that Copy
 * link puts in the link and a replay checks itself against, and an edited model as a Hugging Face
 * folder (METHODS.md §5 weight orthogonalisation, §8 Steer2Edit).
 */
import type { ExperimentInput, FingerprintField } from '../../experiment';
import type { FingerprintVerdict, RefusalRecipe } from '../../interp';
import type { MethodTable } from './table';

export interface FingerprintRequest {
  /** Its prompt and steering are run; its `fingerprint`, when present, is the author's to compare with. */
  readonly experiment: ExperimentInput;
}

/** How a replay's run compares with the author's fingerprint. */
export interface FingerprintCheck {
  readonly verdict: FingerprintVerdict;
  /** max over activations of ‖f − f′‖/‖f‖. */
  readonly maxRelDiff: number;
  /** The largest difference the two backends may show for the run to count as reproduced. */
  readonly tolerance: number;
  /** The author's backend and precision, as the link names them. */
  readonly reference: { readonly backend: string; readonly precision: string };
}

export interface FingerprintOutcome {
  /** This run's fingerprint, as a link carries it (the author's spec when the experiment held one). */
  readonly field: FingerprintField;
  /** This run's backend and its float precision. */
  readonly backend: string;
  readonly precision: string;
  /** Present when the experiment carried the author's fingerprint. */
  readonly check?: FingerprintCheck;
}

/** Which edit an exported model carries. */
export type ModelEdit =
  /** A refusal direction (the view's current recipe) projected out of every residual write. */
  | { readonly kind: 'orthogonalize-refusal'; readonly vector: RefusalRecipe }
  /** Steer2Edit rank-1 edits from the steering loop's pairs, at the loop's layers. */
  | { readonly kind: 'steer2edit' };

export interface ExportModelRequest {
  readonly experiment: ExperimentInput;
  readonly edit: ModelEdit;
}

export interface ExportedModelFiles {
  /** File name → content: model.safetensors, config.json, tokenizer files, README.md. */
  readonly files: readonly { readonly name: string; readonly data: Uint8Array }[];
  /** One line saying what was edited (also the README's). */
  readonly note: string;
  /** A folder name for the download. */
  readonly name: string;
}

export interface ShareMethods {
  /**
   * The fingerprint of the experiment's run: its prompt's forward pass with what steers, read at
   * resid_post. With the author's fingerprint in the experiment it is read at the same places and
   * compared.
   */
  fingerprint(request: FingerprintRequest): Promise<FingerprintOutcome>;
  /** The current model with an edit, as the files of a Hugging Face model folder. */
  exportModel(request: ExportModelRequest): Promise<ExportedModelFiles>;
}

export const SHARE_METHODS: MethodTable<ShareMethods> = {
  fingerprint: 'plain',
  exportModel: 'plain',
};
