/**
 * The zod schemas of interventions and of the recipes that rebuild vectors, planes and unit
 * selections: the one check that data from a URL, a file or a worker message must pass before it
 * reaches `interp`. Their inferred types are interp's own types (a type-level test asserts it), so
 * a schema can never drift from what `compile` accepts. The Experiment schema composes these.
 */
import { z } from 'zod';
import { type Intervention, RudderError, UNIT_POINTS, VECTOR_HOOKS, VECTOR_METHODS } from '../interp';

const layer = z.number().int().nonnegative();
const tokenIds = z.array(z.number().int().nonnegative()).min(1);

export const PromptInputSchema = z.union([z.string(), tokenIds]);
export const ContrastPairSchema = z.object({ positive: PromptInputSchema, negative: PromptInputSchema });

/** Where activations are read: last token, a fixed index (negative from the end), the mean, or all. */
export const PositionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('last') }).readonly(),
  z.object({ kind: z.literal('index'), index: z.number().int() }).readonly(),
  z.object({ kind: z.literal('mean') }).readonly(),
  z.object({ kind: z.literal('all') }).readonly(),
]);

export const VectorHookSchema = z.enum(VECTOR_HOOKS);
export const VectorMethodSchema = z.enum(VECTOR_METHODS);

export const VectorRecipeSchema = z.discriminatedUnion('from', [
  z.object({
    from: z.literal('contrast'),
    model: z.string(),
    pairs: z.array(ContrastPairSchema).min(1),
    hook: VectorHookSchema,
    layers: z.array(layer).min(1),
    position: PositionSchema,
    method: VectorMethodSchema,
    chat: z.boolean().optional(),
  }),
  z.object({
    from: z.literal('actadd'),
    model: z.string(),
    positive: PromptInputSchema,
    negative: PromptInputSchema,
    layer,
  }),
  z.object({
    from: z.literal('refusal'),
    model: z.string(),
    harmful: z.array(PromptInputSchema).min(1),
    harmless: z.array(PromptInputSchema).min(1),
    position: z.number().int().negative(),
    layer,
  }),
  z.object({
    from: z.literal('import'),
    format: z.enum(['json', 'safetensors', 'gguf']),
    modelHint: z.string().optional(),
  }),
]);

export const PlaneRecipeSchema = z.object({
  from: z.literal('plane'),
  model: z.string(),
  positive: z.array(PromptInputSchema).min(1),
  negative: z.array(PromptInputSchema).min(1),
  discriminative: z.boolean(),
});

export const UnitsRecipeSchema = z.object({
  from: z.literal('units'),
  model: z.string(),
  pairs: z.array(ContrastPairSchema).min(1),
  point: z.enum(UNIT_POINTS),
  position: PositionSchema,
  k: z.number().int().nonnegative(),
});

export const InterventionPositionsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('prompt') }),
  z.object({ kind: z.literal('from'), start: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('front') }),
  z.object({ kind: z.literal('last') }),
]);

/** A name of a vector, plane or unit selection in the experiment. */
const ref = z.string().min(1);

export const AddInterventionSchema = z.object({
  kind: z.literal('add'),
  vector: ref,
  coefficient: z.number(),
  layers: z.array(layer).optional(),
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
  strength: z.number().optional(),
  layers: z.array(layer).optional(),
});

export const RotateInterventionSchema = z.object({
  kind: z.literal('rotate'),
  plane: ref,
  mode: z.enum(['angular', 'adaptive', 'selective']),
  angle: z.number(),
  strength: z.number().min(0).max(1).optional(),
  modules: z.enum(['plane', 'all']).optional(),
});

export const UnitsInterventionSchema = z.object({
  kind: z.literal('units'),
  units: ref,
  alpha: z.number().optional(),
  k: z.number().int().nonnegative().optional(),
});

export const LayerWeightedInterventionSchema = z.object({
  kind: z.literal('layer-weighted'),
  vector: ref,
  strength: z.number(),
  weights: z.array(z.object({ layer, weight: z.number() })),
  positions: InterventionPositionsSchema.optional(),
});

export const GuardInterventionSchema = z.object({
  kind: z.literal('guard'),
  vector: ref,
  layer,
  coefficient: z.number(),
  gate: z.object({ centroid: ref, threshold: z.number().min(-1).max(1) }).optional(),
});

const headRef = { layer, head: z.number().int().nonnegative() };

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
