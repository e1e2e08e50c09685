/**
 * The function vectors view (METHODS.md §13): on one of the organism's few-shot tasks, the heads'
 * average indirect effect, the function vector summed from the top k, and what it does to the
 * held-out zero-shot queries, in one job with progress; Stop ends it.
 */
import type { ExperimentInput, FunctionVectorViewSettings } from '../../experiment';
import type { FunctionVectorFigures } from '../../interp/eval/function-vector-eval';
import type { MethodTable } from './table';

/** A few-shot task of the model's folder (datasets/icl_tasks.json). */
export interface FunctionVectorTask {
  readonly name: string;
  /** Items that build the FV (the first half) and items held out to measure it. */
  readonly build: number;
  readonly heldOut: number;
}

export interface FunctionVectorProgress {
  /** means: ā over the few-shot prompts; effects: one patching batch per corrupted prompt; evaluate: the accuracies. */
  readonly stage: 'means' | 'effects' | 'evaluate';
  readonly done: number;
  readonly total: number;
}

/** The held-out figures as interp's evaluation measures them (accuracies and the FV's readout). */
type HeldOutFigures = Pick<
  FunctionVectorFigures,
  'fewShot' | 'zeroShot' | 'zeroShotFv' | 'readout' | 'readoutIsAnswer' | 'answersInReadout'
>;

export interface FunctionVectorOutcome extends HeldOutFigures {
  readonly modelId: string;
  readonly task: string;
  /** The prompts the heads were patched into (the view's setting it answers). */
  readonly corruption: FunctionVectorViewSettings['corruption'];
  readonly nLayers: number;
  readonly nHeads: number;
  /** The resid_post layer the FV is added at, and the heads summed (k). */
  readonly layer: number;
  readonly k: number;
  /** AIE[l,h], row-major [layers, heads]. */
  readonly aie: Float32Array;
  /** The heads summed, highest AIE first. */
  readonly heads: readonly { readonly layer: number; readonly head: number; readonly aie: number }[];
  /** The FV, [d_model]. */
  readonly fv: Float32Array;
  readonly built: number;
  readonly heldOut: number;
  /** The held-out items: zero-shot prompt, answer, and whether it came out right without and with the FV. */
  readonly items: readonly {
    readonly prompt: string;
    readonly answer: string;
    readonly zeroShot: boolean;
    readonly zeroShotFv: boolean;
  }[];
  readonly ms: number;
}

export interface FunctionVectorMethods {
  /** The model's few-shot tasks (none when its folder ships no icl_tasks.json). */
  functionVectorTasks(): Promise<FunctionVectorTask[]>;
  /**
   * The FV of the experiment's `view.fv` task, k, layer and corruption, measured on the held-out items. A newer
   * call, or stopFunctionVector, makes a running one stop with code 'cancelled'.
   */
  functionVector(
    request: { readonly experiment: ExperimentInput },
    onProgress?: (p: FunctionVectorProgress) => void,
  ): Promise<FunctionVectorOutcome>;
  /** Stops the running function vector job (Stop). */
  stopFunctionVector(): void;
}

export const FUNCTION_VECTOR_METHODS: MethodTable<FunctionVectorMethods> = {
  functionVectorTasks: 'plain',
  functionVector: 'callback',
  stopFunctionVector: 'plain',
};
