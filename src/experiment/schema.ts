/**
 * The Experiment: everything a person set up, as plain data, validated by this one schema at
 * every boundary (URL, file import, worker message). Defaults live here, so `{ version: 1 }` is
 * the default experiment and an old link that lacks a newer optional field still opens.
 *
 * The steering loop is described once, in `steering` (pairs, where to read them, how strongly to
 * add the result); the vector recipe and the add intervention it implies are derived from it
 * (`steeredPlan` in steering.ts) so that the two can never disagree.
 * `vectors` and `interventions` hold anything further (recipes and interventions of other panels).
 */
import { FingerprintSchema } from './fingerprint';
import {
  InterventionPositionsSchema,
  InterventionSchema,
  PlaneRecipeSchema,
  PositionSchema,
  VectorHookSchema,
  VectorMethodSchema,
  VectorRecipeSchema,
} from './interventions';
import { LIMITS } from './limits';
import { namedRecord } from './named-record';
import { OPERATOR_FIELDS } from './operators';
import { z } from './zod';

export { LIMITS };

export const EXPERIMENT_VERSION = 1;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain folder name');
const repo = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be owner/name');

/**
 * 'bfloat16': the model's matrices rounded to bfloat16 as it loads (on WebAssembly half the memory
 * and faster decoding of larger models; the engine's WeightPrecision). Absent: the checkpoint's values.
 */
const precision = z.literal('bfloat16').optional();

/** Where the model comes from. A dropped folder cannot travel in a link; only its label does. */
export const ModelSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('shipped'), name, precision }),
  z.object({
    kind: z.literal('hub'),
    precision,
    repo,
    revision: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/)
      .max(200)
      .optional(),
  }),
  z.object({
    kind: z.literal('url'),
    precision,
    url: z
      .string()
      .max(2000)
      .regex(/^(https?:\/\/|\/|\.\.?\/)/, 'must be an http(s) address or a path'),
  }),
  z.object({ kind: z.literal('files'), label: z.string().max(200), precision }),
]);

export const DEFAULT_MODEL = { kind: 'shipped', name: 'organism-llama' } as const;

export const PromptSchema = z.object({
  text: z.string().max(LIMITS.promptChars).default('Once upon a time'),
  /** Wrap the text as one user turn in the model's chat template. */
  chat: z.boolean().default(false),
});

export const GenerationSchema = z.object({
  maxTokens: z.number().int().min(1).max(LIMITS.maxTokens).default(40),
  temperature: z.number().min(0).max(2).default(0.8),
  topP: z.number().gt(0).max(1).default(0.95),
  /** The same seed gives the same text, for the baseline and the steered side alike. */
  seed: z.number().int().min(0).max(4294967295).default(1),
});

/** A contrast pair as the editor holds it: text only (token ids belong to imported recipes). */
export const TextPairSchema = z.object({
  positive: z.string().max(LIMITS.pairTextChars),
  negative: z.string().max(LIMITS.pairTextChars),
});

export const SteeringSchema = z.object({
  pairs: z.array(TextPairSchema).max(LIMITS.pairs).default([]),
  /** The preset the pairs came from, if any (shown in the editor; edits keep it as the origin). */
  preset: z.string().max(100).optional(),
  hook: VectorHookSchema.default('resid_pre'),
  /** Layers the vector is read at and added to; empty means "the middle layer of the model". */
  layers: z.array(z.number().int().min(0).max(LIMITS.layer)).max(LIMITS.layer).default([]),
  position: PositionSchema.default({ kind: 'mean' }),
  method: VectorMethodSchema.default('mean'),
  /**
   * contrast: the pairs' vector by `method` at `position`; actadd: ActAdd (Turner et al.), the
   * per-position difference of the first pair at the first chosen layer, added front-aligned.
   */
  recipe: z.enum(['contrast', 'actadd']).default('contrast'),
  /** Read the pairs through the model's chat template (refusal-style pairs). */
  chat: z.boolean().default(false),
  /** c in h += c·v; 0 leaves the steered side identical to the baseline. */
  coefficient: z.number().min(-LIMITS.coefficient).max(LIMITS.coefficient).default(0),
  /**
   * The unit of the strengths (coefficient, weighted, redirect). `norm`: multiples of the typical
   * activation norm at the steered layer (METHODS.md §19), the added vector being
   * c × typicalNorm × unit(v). `raw`: c multiplies the vector as built, the
   * only unit before the field existed, so a link without it replays as it always did.
   */
  unit: z.enum(['raw', 'norm']).default('raw'),
  /** Where the vector is added (default: every position, prompt and generated). */
  positions: InterventionPositionsSchema.default({ kind: 'all' }),
  /** Rescale each steered position back to its pre-steer norm. */
  normalize: z.boolean().default(false),
  /** Add: remove the vector's direction from the stream first, then add it (ablate-then-add). */
  ablateFirst: z.boolean().default(false),
  /** Rotate: steer only the modules where the pairs' projections separate (selective steering). */
  discriminative: z.boolean().default(false),
  /** The operator (add, ablate, rotate, units), its strengths, and an imported vector (operators.ts). */
  ...OPERATOR_FIELDS,
});

/** The live views' tabs (src/app/views). */
export const VIEW_TABS = ['lens', 'heads', 'refusal', 'methods', 'fv', 'sae'] as const;

/** The thresholds ε the sparsity chart offers (|MLP activation| ≤ ε), measured all at once. */
export const SPARSITY_EPSILONS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1] as const;

/** The methods view's settings (src/app/views/MethodsView.tsx). */
export const MethodsViewSchema = z.object({
  /** A (layer, token) cell is idle when its block changes the residual by less than τ of its norm. */
  tau: z.number().min(0).max(10).default(0.1),
  /** The sparsity chart's threshold, one of SPARSITY_EPSILONS. */
  epsilon: z
    .number()
    .refine((v) => (SPARSITY_EPSILONS as readonly number[]).includes(v), {
      message: `must be one of ${SPARSITY_EPSILONS.join(', ')}`,
    })
    .default(0.01),
});

/** The corrupted prompts a function vector's heads are found on (METHODS.md §13). */
export const FV_CORRUPTIONS = ['zero-shot', 'shuffled'] as const;

/** The function vectors view's settings (src/app/views/FunctionVectorView.tsx; METHODS.md §13). */
export const FunctionVectorViewSchema = z.object({
  /** The organism's few-shot task (icl_tasks.json); none chosen yet: the view waits for a pick. */
  task: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a task name')
    .max(100)
    .optional(),
  /** Heads summed into the FV (top k by AIE); default ⌈L·H/8⌉. */
  k: z
    .number()
    .int()
    .min(1)
    .max(LIMITS.layer * LIMITS.head)
    .optional(),
  /** The layer whose resid_post the FV is added to; default round(L/3). */
  layer: z.number().int().min(0).max(LIMITS.layer).optional(),
  /**
   * The prompts the heads' mean outputs are patched into: the bare zero-shot query (the default,
   * the only one before the field existed, so an older link replays as it did) or Todd et al.'s
   * few-shot prompts with shuffled labels.
   */
  corruption: z.enum(FV_CORRUPTIONS).default('zero-shot'),
});

/**
 * The sparse autoencoder view's settings (src/app/views/SaeView.tsx; METHODS.md §17). The defaults
 * train in about a minute on the organisms under WebAssembly on two cores. `train` is set by the
 * Train button and cleared by any edit of the others, so a link trains only what its author trained.
 */
export const SaeViewSchema = z.object({
  /** The layer whose resid_post it is trained on; default ⌊L/2⌋. */
  layer: z.number().int().min(0).max(LIMITS.layer).optional(),
  /** Dictionary size: the number of features. */
  features: z.number().int().min(8).max(4096).default(512),
  /** λ, the L1 coefficient on the inputs scaled to mean norm √d. */
  l1: z.number().min(0).max(100).default(3),
  /** Adam steps, a batch of 256 tokens each. */
  steps: z.number().int().min(10).max(20_000).default(600),
  train: z.boolean().default(false),
});

/** The logit lens view's settings (src/app/views/LensView.tsx). */
export const LensViewSchema = z.object({
  /** Which grid the heatmap shows: the baseline run, the steered run, or steered − baseline. */
  mode: z.enum(['baseline', 'steered', 'difference']).default('steered'),
  /** What colours a cell: the top token's probability, the entropy, or KL to the final layer. */
  measure: z.enum(['probability', 'entropy', 'kl']).default('probability'),
  /** Logit lens, or the tuned lens where the model ships one. */
  kind: z.enum(['logit', 'tuned']).default('logit'),
  /** A token id followed across layers (a line chart of its probability and rank). */
  track: z.number().int().min(0).max(LIMITS.tokenId).optional(),
});

export const ViewSchema = z.object({
  theme: z.enum(['auto', 'light', 'dark']).default('auto'),
  /** The open tab of the live views. */
  tab: z.enum(VIEW_TABS).default('lens'),
  lens: LensViewSchema.default(LensViewSchema.parse({})),
  methods: MethodsViewSchema.default(MethodsViewSchema.parse({})),
  fv: FunctionVectorViewSchema.default(FunctionVectorViewSchema.parse({})),
  sae: SaeViewSchema.default(SaeViewSchema.parse({})),
});

/**
 * The refusal view's harmful and harmless instructions, when the person edited them; a side left
 * out means the model's own set (its folder's datasets), which a link then does not copy.
 */
export const RefusalSetsSchema = z.object({
  harmful: z.array(z.string().min(1).max(1000)).min(1).max(256).optional(),
  harmless: z.array(z.string().min(1).max(1000)).min(1).max(256).optional(),
});

export const ExperimentSchema = z.object({
  version: z.literal(EXPERIMENT_VERSION),
  model: ModelSourceSchema.default(DEFAULT_MODEL),
  prompt: PromptSchema.default(PromptSchema.parse({})),
  generation: GenerationSchema.default(GenerationSchema.parse({})),
  steering: SteeringSchema.default(SteeringSchema.parse({})),
  /** Further vectors by name, as recipes (a link recomputes them). */
  vectors: namedRecord(VectorRecipeSchema),
  /** Further interventions, applied after the steering loop's own, in order. */
  interventions: z.array(InterventionSchema).max(64).default([]),
  view: ViewSchema.default(ViewSchema.parse({})),
  /** Further planes by name, as recipes (rotate interventions name them). */
  planes: namedRecord(PlaneRecipeSchema),
  refusal: RefusalSetsSchema.default({}),
  /** The author's activation fingerprint (METHODS.md §16), so a replay can be checked against it. */
  fingerprint: FingerprintSchema.optional(),
});

export type Experiment = z.infer<typeof ExperimentSchema>;
/** What a link or file may hold: any field with a default may be left out. */
export type ExperimentInput = z.input<typeof ExperimentSchema>;
export type ModelSource = z.infer<typeof ModelSourceSchema>;
export type TextPair = z.infer<typeof TextPairSchema>;
export type Steering = z.infer<typeof SteeringSchema>;
export type GenerationSettings = z.infer<typeof GenerationSchema>;
export type ViewTab = (typeof VIEW_TABS)[number];
export type RefusalSetsSettings = z.infer<typeof RefusalSetsSchema>;
export type LensViewSettings = z.infer<typeof LensViewSchema>;
export type MethodsViewSettings = z.infer<typeof MethodsViewSchema>;
export type FunctionVectorViewSettings = z.infer<typeof FunctionVectorViewSchema>;
export type SaeViewSettings = z.infer<typeof SaeViewSchema>;

export function defaultExperiment(): Experiment {
  return ExperimentSchema.parse({ version: EXPERIMENT_VERSION });
}
