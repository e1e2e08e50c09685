import type { StateCreator } from 'zustand';
import type {
  AttentionPattern,
  BuildProgress,
  Experiment,
  FunctionVectorOutcome,
  FunctionVectorProgress,
  FunctionVectorTask,
  HeadScores,
  Intervention,
  LayerProfiles,
  LensOutcome,
  PlaneInfo,
  SaeJobProgress,
  SaeOutcome,
  StopReason,
  VectorInfo,
  VectorLensInfo,
} from '../../worker';
import type { RudderState } from './index';
import { IDLE, type JobState } from './jobs';

/** One side's continuation as it streams in. */
export interface Continuation {
  /** The prompt this run continues (the box may have been edited since). */
  readonly prompt: string;
  /** Whether the prompt went through the chat template: the text is then an answer, not a continuation. */
  readonly chat?: boolean;
  readonly text: string;
  readonly tokenCount: number;
  readonly stopReason?: StopReason;
  readonly ms?: number;
  /** Steered side: what it ran with (the view words it: "add 4.00 · 2 heads gated"). */
  readonly ran?: SteeredRun;
}

/**
 * The interventions a steered run applied (the planned ones until the worker answers) and the
 * experiment's steering and vectors at the time, which name them: the slider may have moved since.
 */
export interface SteeredRun {
  readonly steering: Experiment['steering'];
  readonly vectors: Experiment['vectors'];
  readonly applied: readonly Intervention[];
}

export type Generation = JobState<Continuation>;

/** The live results of the page's worker jobs (src/app/actions/<view>.ts runs each). */
export interface ResultsSlice {
  /** The baseline (unsteered) continuation. */
  generation: Generation;
  /** The steered continuation, same prompt and seed. */
  steered: Generation;
  /** The steering loop's vector (the layer strip, the slider's range). */
  vector: JobState<VectorInfo, BuildProgress>;
  /** The rotate operator's plane: the modules it rotates (the layer strip marks them). */
  plane: JobState<PlaneInfo>;
  /** The tokens the vector promotes and suppresses. */
  vectorLens: JobState<VectorLensInfo>;
  /** The last vector file exported or imported (its name), or why it could not be. */
  vectorFile: JobState<string>;
  /** The lens view's grids. */
  lens: JobState<LensOutcome>;
  /** The head view's scores and the hovered head's pattern. */
  heads: JobState<HeadScores>;
  pattern: JobState<AttentionPattern>;
  /** The methods view's layer activity and sparsity of the prompt. */
  profiles: JobState<LayerProfiles>;
  /** The function vectors view's tasks (the model's icl_tasks.json) and its job. */
  fvTasks: JobState<readonly FunctionVectorTask[]>;
  fv: JobState<FunctionVectorOutcome, FunctionVectorProgress>;
  /** The sparse autoencoder view's job. */
  sae: JobState<SaeOutcome, SaeJobProgress>;
  /** A lesson's check, while its worker calls run (actions/lessons.ts). */
  lessonCheck: JobState<true>;
}

export const createResultsSlice: StateCreator<RudderState, [], [], ResultsSlice> = () => ({
  generation: IDLE,
  steered: IDLE,
  vector: IDLE,
  vectorLens: IDLE,
  plane: IDLE,
  vectorFile: IDLE,
  lens: IDLE,
  heads: IDLE,
  pattern: IDLE,
  profiles: IDLE,
  fvTasks: IDLE,
  fv: IDLE,
  sae: IDLE,
  lessonCheck: IDLE,
});
