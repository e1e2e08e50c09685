/**
 * The zod schemas of interventions and of the recipes that rebuild vectors, planes and unit
 * selections: the one check that data from a URL, a file or a worker message must pass before it
 * reaches `interp`. Their inferred types are interp's own types (a type-level test asserts it), so
 * a schema can never drift from what `compile` accepts. The Experiment schema composes these.
 */
import { RudderError } from '../engine';
import { type Intervention, UNIT_POINTS, VECTOR_HOOKS, VECTOR_METHODS } from '../interp';
import { LIMITS } from './limits';
import { z } from './zod';

const layer = z.number().int().nonnegative().max(LIMITS.layer);
const layers = z.array(layer).max(LIMITS.layer + 1);
const tokenIds = z.array(z.number().int().nonnegative().max(LIMITS.tokenId)).min(1).max(LIMITS.promptTokens);
/** |x| ≤ bound: z.number() already refuses NaN and ±Infinity, not 1e308. */
const bounded = (bound: number) => z.number().min(-bound).max(bound);
const coefficient = bounded(LIMITS.coefficient);
const modelId = z.string().max(LIMITS.modelChars);

export const PromptInputSchema = z.union([z.string().max(LIMITS.promptChars), tokenIds]);
export const ContrastPairSchema = z.object({ positive: PromptInputSchema, negative: PromptInputSchema });
const pairs = z.array(ContrastPairSchema).min(1).max(LIMITS.pairs);
const prompts = z.array(PromptInputSchema).min(1).max(LIMITS.pairs);

/** Where activations are read: last token, a fixed index (negative from the end), the mean, or all. */
export const PositionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('last') }).readonly(),
  z
    .object({
      kind: z.literal('index'),
      index: z
        .number()
        .int()
        .min(-LIMITS.position)
        .max(LIMITS.position - 1),
    })
    .readonly(),
  z.object({ kind: z.literal('mean') }).readonly(),
  z.object({ kind: z.literal('all') }).readonly(),
]);

export const VectorHookSchema = z.enum(VECTOR_HOOKS);
export const VectorMethodSchema = z.enum(VECTOR_METHODS);

export const VectorRecipeSchema = z.discriminatedUnion('from', [
  z.object({
    from: z.literal('contrast'),
    model: modelId,
    pairs,
    hook: VectorHookSchema,
    layers: layers.min(1),
    position: PositionSchema,
    method: VectorMethodSchema,
    chat: z.boolean().optional(),
  }),
  z.object({
    from: z.literal('actadd'),
    model: modelId,
    positive: PromptInputSchema,
    negative: PromptInputSchema,
    layer,
  }),
  z.object({
    from: z.literal('refusal'),
    model: modelId,
    harmful: prompts,
    harmless: prompts,
    position: z.number().int().negative().min(-LIMITS.position),
    layer,
  }),
  z.object({
    from: z.literal('import'),
    format: z.enum(['json', 'safetensors', 'gguf']),
    modelHint: modelId.optional(),
  }),
]);

export const PlaneRecipeSchema = z.object({
  from: z.literal('plane'),
  model: modelId,
  positive: prompts,
  negative: prompts,
  discriminative: z.boolean(),
});

export const UnitsRecipeSchema = z.object({
  from: z.literal('units'),
  model: modelId,
  pairs,
  point: z.enum(UNIT_POINTS),
  position: PositionSchema,
  k: z.number().int().nonnegative().max(LIMITS.unitsK),
});

export const InterventionPositionsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('prompt') }),
  z.object({ kind: z.literal('from'), start: z.number().int().nonnegative().max(LIMITS.position) }),
  z.object({ kind: z.literal('front') }),
  z.object({ kind: z.literal('last') }),
  z.object({ kind: z.literal('prompt-last') }),
]);

/** A name of a vector, plane or unit selection in the experiment. */
const ref = z.string().min(1).max(LIMITS.nameChars);

export const AddInterventionSchema = z.object({
  kind: z.literal('add'),
  vector: ref,
  coefficient,
  layers: layers.optional(),
  positions: InterventionPositionsSchema.optional(),
  unit: z.boolean().optional(),
  normalize: z.boolean().optional(),
  ablateFirst: z.boolean().optional(),
});

export const AblateInterventionSchema = z.object({
  kind: z.literal('ablate'),
  vector: ref,
  layer: layer.optional(),
  scope: z.enum(['residual-writes', 'vector']).optional(),
  strength: coefficient.optional(),
  layers: layers.optional(),
});

export const RotateInterventionSchema = z.object({
  kind: z.literal('rotate'),
  plane: ref,
  mode: z.enum(['angular', 'adaptive', 'selective']),
  angle: bounded(LIMITS.angle),
  strength: z.number().min(0).max(1).optional(),
  modules: z.enum(['plane', 'all']).optional(),
});

export const UnitsInterventionSchema = z.object({
  kind: z.literal('units'),
  units: ref,
  alpha: bounded(LIMITS.alpha).optional(),
  k: z.number().int().nonnegative().max(LIMITS.unitsK).optional(),
});

export const LayerWeightedInterventionSchema = z.object({
  kind: z.literal('layer-weighted'),
  vector: ref,
  strength: coefficient,
  weights: z.array(z.object({ layer, weight: coefficient })).max(LIMITS.layer + 1),
  positions: InterventionPositionsSchema.optional(),
});

export const GuardInterventionSchema = z.object({
  kind: z.literal('guard'),
  vector: ref,
  layer,
  coefficient,
  gate: z.object({ centroid: ref, threshold: z.number().min(-1).max(1) }).optional(),
});

const headRef = {
  layer,
  head: z
    .number()
    .int()
    .nonnegative()
    .max(LIMITS.head - 1),
};

export const HeadGateSpecSchema = z.discriminatedUnion('mode', [
  z.object({ ...headRef, mode: z.literal('zero') }),
  z.object({ ...headRef, mode: z.literal('mean') }),
  z.object({ ...headRef, mode: z.literal('scale'), factor: z.number().min(-100).max(100) }),
]);

export const GateInterventionSchema = z.object({
  kind: z.literal('gate'),
  heads: z.array(HeadGateSpecSchema).max(4096),
});

export const SparsifyInterventionSchema = z.object({
  kind: z.literal('sparsify'),
  thresholds: z.array(z.number().min(0).max(1e6)).max(1024),
});

export const InterventionSchema = z.discriminatedUnion('kind', [
  AddInterventionSchema,
  AblateInterventionSchema,
  RotateInterventionSchema,
  UnitsInterventionSchema,
  LayerWeightedInterventionSchema,
  GuardInterventionSchema,
  GateInterventionSchema,
  SparsifyInterventionSchema,
]);

/** Data that failed a schema; `issues` are zod's, each with the path to the bad field. */
export class SpecValidationError extends RudderError {
  constructor(
    what: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(
      'spec-validation',
      `${what} is not valid: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`,
    );
  }
}

/** Validates interventions from outside (URL, file, message); throws SpecValidationError. */
export function parseInterventions(data: unknown): Intervention[] {
  const r = z.array(InterventionSchema).safeParse(data);
  if (!r.success) throw new SpecValidationError('The interventions', r.error.issues);
  return r.data;
}
