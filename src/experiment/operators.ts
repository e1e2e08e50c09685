/**
 * How the steering loop applies what its pairs describe (METHODS.md): add the vector, ablate its
 * direction from every residual write, rotate in the plane the pairs span, scale the atomic
 * units they rank, add its unit direction with per-layer weights (layer-weighted), or redirect
 * the block output away from it keeping the norm (GUARD-IT). Each operator keeps its own strength field, so switching operators and back
 * restores what the person had, and every field has a default so links made before operators
 * existed still parse (as `add`).
 *
 * A vector imported from a file has no recipe to rebuild it from, so it travels inline: float16
 * little-endian values, base64 per layer (DESIGN.md), bounded so a link or file cannot make the
 * page allocate without limit.
 */
import { UNIT_POINTS, VECTOR_HOOKS, type VectorRecipe } from '../interp';
import { VectorRecipeSchema } from './interventions';
import { LIMITS } from './limits';
import { z } from './zod';

export const STEERING_OPERATORS = ['add', 'ablate', 'rotate', 'units', 'layer-weighted', 'guard'] as const;
export type SteeringOperator = (typeof STEERING_OPERATORS)[number];

/** selective: rotate by θ (θ = 0 is the identity); angular: set the in-plane angle to θ; adaptive: angular where h·b1 > 0. */
export const ROTATION_MODES = ['selective', 'angular', 'adaptive'] as const;

/** Units ranked once per pair set; the k control picks the top k of these without re-reading. */
export const MAX_UNITS = 200;

/** Bounds of an inline vector: ample for the recommended Hub models, small enough for a link. */
export const INLINE_LIMITS = { width: 16_384, layers: 128, values: 262_144 } as const;

/** What made an inline vector besides a file: the function vectors view, an SAE feature. */
export const INLINE_ORIGINS = ['file', 'function-vector', 'sae-feature'] as const;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const InlineVectorSchema = z
  .object({
    from: z.literal('inline'),
    hook: z.enum(VECTOR_HOOKS),
    width: z.number().int().min(1).max(INLINE_LIMITS.width),
    /** Layer → width float16 values, little-endian, base64. */
    layers: z.record(z.string().regex(/^\d{1,4}$/, 'must be a layer number'), base64),
    /** The file it came from and the model that file named (shown; never trusted for shapes). */
    name: z.string().max(200).optional(),
    format: z.enum(['json', 'safetensors', 'gguf']).optional(),
    model: z.string().max(500).optional(),
    /** Where it came from, as the page names it: an imported file (the default), a view's vector. */
    origin: z.enum(INLINE_ORIGINS).optional(),
  })
  .superRefine((v, ctx) => {
    const layers = Object.entries(v.layers);
    if (layers.length === 0) ctx.addIssue({ code: 'custom', path: ['layers'], message: 'holds no layer' });
    if (layers.length > INLINE_LIMITS.layers || layers.length * v.width > INLINE_LIMITS.values)
      ctx.addIssue({
        code: 'custom',
        path: ['layers'],
        message: `holds more than ${INLINE_LIMITS.values} values`,
      });
    const chars = 4 * Math.ceil((2 * v.width) / 3);
    for (const [l, data] of layers) {
      const problem =
        data.length === chars
          ? float16Problem(data)
          : `must hold ${v.width} float16 values (${chars} base64 characters, got ${data.length})`;
      if (problem) ctx.addIssue({ code: 'custom', path: ['layers', l], message: problem });
    }
  });

/**
 * Why base64 float16 values cannot steer, if they cannot: a NaN or infinity (a link carried
 * them), or nothing but zeros (steering would silently do nothing). Reads the bit patterns
 * without decoding, as every experiment a link or an edit produces passes through here.
 */
export function float16Problem(base64: string): string | undefined {
  let bytes: string;
  try {
    bytes = atob(base64);
  } catch {
    return 'must be base64';
  }
  let zero = true;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const h = bytes.charCodeAt(i) | (bytes.charCodeAt(i + 1) << 8);
    if ((h & 0x7c00) === 0x7c00) return `holds ${h & 0x3ff ? 'NaN' : 'an infinity'} at index ${i / 2}`;
    if (h & 0x7fff) zero = false;
  }
  return zero ? 'is all zeros, so steering with it would do nothing' : undefined;
}

export type InlineVector = z.infer<typeof InlineVectorSchema>;

/** The operator fields of `Experiment.steering` (spread into SteeringSchema). */
export const OPERATOR_FIELDS = {
  operator: z.enum(STEERING_OPERATORS).default('add'),
  /** Ablate: fraction of the direction's projection removed (1 = Arditi's operator; 0 = none). */
  ablation: z.number().min(0).max(1).default(1),
  /** Rotate: degrees; with `selective` 0 is the identity. */
  angle: z.number().min(-LIMITS.angle).max(LIMITS.angle).default(0),
  rotation: z.enum(ROTATION_MODES).default('selective'),
  /** Units: α in x_j += α·β_j·x_j (AUSteer's default 5; 0 = none). */
  alpha: z.number().min(-LIMITS.alpha).max(LIMITS.alpha).default(5),
  /** Units: how many of the ranked units are steered (0 = none). */
  k: z.number().int().min(0).max(MAX_UNITS).default(10),
  unitPoint: z.enum(UNIT_POINTS).default('resid_post'),
  /** Layer-weighted (Guiding Giants): s in h_l += s·w_l·r̂_l, w_l = 1 on every chosen layer. */
  weighted: z.number().min(-LIMITS.coefficient).max(LIMITS.coefficient).default(0),
  /** GUARD-IT: c in h' = (h − c·v)·‖h‖/‖h − c·v‖ at the first chosen layer's block output. */
  redirect: z.number().min(-LIMITS.coefficient).max(LIMITS.coefficient).default(0),
  /** An imported vector; when present it is the steering vector instead of the pairs' one. */
  vector: InlineVectorSchema.optional(),
  /**
   * Set only in a link that had to leave the imported vector out (too large for a link): it
   * travels beside the link, in the experiment file named here, and the page that opens the link
   * says so.
   */
  vectorBeside: z.object({ file: z.string().max(200), name: z.string().max(200).optional() }).optional(),
};

/** float32 → IEEE half, round to nearest even; overflow saturates to ±Infinity, as in numpy. */
export function toFloat16Bits(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float16ToBase64(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, toFloat16Bits(values[i]!), true);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToFloat16(text: string): Float32Array {
  const s = atob(text);
  const view = new DataView(Uint8Array.from(s, (c) => c.charCodeAt(0)).buffer);
  return Float32Array.from({ length: s.length >> 1 }, (_, i) => fromFloat16Bits(view.getUint16(2 * i, true)));
}

/** An inline vector's values per layer (float16 decoded to float32). */
export function inlineLayers(v: InlineVector): Record<number, Float32Array> {
  const out: Record<number, Float32Array> = {};
  for (const [l, data] of Object.entries(v.layers)) out[Number(l)] = base64ToFloat16(data);
  return out;
}

/** Layers as numbers, ascending. */
export function inlineLayerList(v: Pick<InlineVector, 'layers'>): number[] {
  return Object.keys(v.layers)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Where a vector comes from: a recipe the worker rebuilds, or inline values. */
export type VectorSource = VectorRecipe | InlineVector;
export const VectorSourceSchema = z.union([VectorRecipeSchema, InlineVectorSchema]);
