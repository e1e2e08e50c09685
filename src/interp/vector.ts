/**
 * Steering vectors are values (as repeng's ControlVector): a direction per layer at one hook
 * point, tied to the model it was read from, with the recipe that rebuilds it. The operations
 * return new vectors and never touch their inputs; combining vectors of different models throws.
 */
import { RudderError } from '../engine';
import { norm } from './linalg';
import type { PlaneRecipe, UnitPoint, UnitsRecipe, VectorHook, VectorRecipe } from './recipe';

export interface SteeringVector {
  /** The model it was read from (`Model.id`); vectors only apply to that model. */
  readonly modelId: string;
  readonly hook: VectorHook;
  /** Values per row: d_model at residual points, d_mlp at `mlp_post`. */
  readonly width: number;
  /** Rows per layer: 1 for a direction; n for ActAdd's per-position difference (row-major). */
  readonly rows: number;
  /** Layer → rows × width values. */
  readonly layers: Readonly<Record<number, Float32Array>>;
  /** How it was built; absent for arithmetic results and raw imports. */
  readonly recipe?: VectorRecipe;
}

/** A plane (b1, b2 orthonormal) for angular and selective steering, and the modules it acts on. */
export interface SteeringPlane {
  readonly modelId: string;
  readonly width: number;
  readonly b1: Float32Array;
  readonly b2: Float32Array;
  /** Outputs of the pre-attention (`ln1_normalized`) and pre-MLP (`ln2_normalized`) norms. */
  readonly modules: readonly PlaneModule[];
  readonly recipe?: PlaneRecipe;
}

export interface PlaneModule {
  readonly layer: number;
  readonly point: 'ln1_normalized' | 'ln2_normalized';
}

/** AUSteer's atomic units, ranked by |β| (strongest first). */
export interface UnitSelection {
  readonly modelId: string;
  readonly units: readonly AtomicUnit[];
  readonly recipe?: UnitsRecipe;
}

export interface AtomicUnit {
  readonly layer: number;
  readonly point: UnitPoint;
  /** Index into the flattened activation (head·d_head + i for z). */
  readonly index: number;
  /** Signed momentum: ±max(#Δ>0, #Δ<0)/N. */
  readonly beta: number;
}

/** A vector, plane or unit selection used with a model it was not built for, or two mismatched vectors combined. */
export class IncompatibleVectorError extends RudderError {
  constructor(message: string) {
    super('incompatible-vector', message);
  }
}

/** What compatibility checks need of a model (a `Model` satisfies it). */
export interface ModelRef {
  readonly id: string;
  readonly spec: { readonly nLayers: number; readonly dModel: number; readonly dMlp: number };
}

export function vectorLayers(v: Pick<SteeringVector, 'layers'>): number[] {
  return Object.keys(v.layers)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The expected row width of a hook point for a model. */
export function hookWidth(hook: VectorHook, spec: ModelRef['spec']): number {
  return hook === 'mlp_post' ? spec.dMlp : spec.dModel;
}

/** Throws IncompatibleVectorError unless `v` was read from `model` and fits its shapes. */
export function assertCompatible(v: SteeringVector | SteeringPlane | UnitSelection, model: ModelRef): void {
  if (v.modelId !== model.id) {
    throw new IncompatibleVectorError(
      `This was built for model "${v.modelId}" but the loaded model is "${model.id}". Rebuild it from its recipe on this model.`,
    );
  }
  if ('hook' in v) {
    const want = hookWidth(v.hook, model.spec);
    if (v.width !== want)
      throw new IncompatibleVectorError(
        `The vector is ${v.width} wide but ${v.hook} of this model is ${want}.`,
      );
    const bad = vectorLayers(v).filter((l) => !Number.isInteger(l) || l < 0 || l >= model.spec.nLayers);
    if (bad.length)
      throw new IncompatibleVectorError(
        `The vector has layer${bad.length > 1 ? 's' : ''} ${bad.join(', ')} but the model has layers 0..${model.spec.nLayers - 1}.`,
      );
  }
}

function sameKind(a: SteeringVector, b: SteeringVector, op: string): void {
  if (a.modelId !== b.modelId)
    throw new IncompatibleVectorError(`Cannot ${op} vectors of models "${a.modelId}" and "${b.modelId}".`);
  if (a.hook !== b.hook || a.width !== b.width || a.rows !== b.rows)
    throw new IncompatibleVectorError(
      `Cannot ${op} a ${a.hook} vector [${a.rows}×${a.width}] and a ${b.hook} vector [${b.rows}×${b.width}].`,
    );
}

function mapLayers(v: SteeringVector, f: (data: Float32Array) => Float32Array): SteeringVector {
  const layers: Record<number, Float32Array> = {};
  for (const l of vectorLayers(v)) layers[l] = f(v.layers[l]!);
  return { modelId: v.modelId, hook: v.hook, width: v.width, rows: v.rows, layers };
}

/** a + b·k, layer by layer; a layer present in only one of them is kept as it is (scaled for b). */
function combine(a: SteeringVector, b: SteeringVector, k: number): SteeringVector {
  const layers: Record<number, Float32Array> = {};
  for (const l of vectorLayers(a)) layers[l] = Float32Array.from(a.layers[l]!);
  for (const l of vectorLayers(b)) {
    const bl = b.layers[l]!;
    const out = layers[l] ?? new Float32Array(bl.length);
    for (let i = 0; i < bl.length; i++) out[i]! += k * bl[i]!;
    layers[l] = out;
  }
  return { modelId: a.modelId, hook: a.hook, width: a.width, rows: a.rows, layers };
}

export function add(a: SteeringVector, b: SteeringVector): SteeringVector {
  sameKind(a, b, 'add');
  return combine(a, b, 1);
}

export function subtract(a: SteeringVector, b: SteeringVector): SteeringVector {
  sameKind(a, b, 'subtract');
  return combine(a, b, -1);
}

export function scale(v: SteeringVector, k: number): SteeringVector {
  return mapLayers(v, (d) => d.map((x) => x * k));
}

export function negate(v: SteeringVector): SteeringVector {
  return scale(v, -1);
}

/** Every row of every layer scaled to unit norm (zero rows stay zero). */
export function normalize(v: SteeringVector): SteeringVector {
  return mapLayers(v, (d) => {
    const out = new Float32Array(d.length);
    for (let r = 0; r < v.rows; r++) {
      const row = d.subarray(r * v.width, (r + 1) * v.width);
      const n = norm(row);
      if (n > 0) for (let i = 0; i < v.width; i++) out[r * v.width + i] = row[i]! / n;
    }
    return out;
  });
}

/** One layer's single row; throws when the vector lacks it. */
export function layerDirection(v: SteeringVector, layer: number): Float32Array {
  const d = v.layers[layer];
  if (!d)
    throw new IncompatibleVectorError(
      `The vector has no layer ${layer} (it has ${vectorLayers(v).join(', ') || 'none'}).`,
    );
  return v.rows === 1 ? d : d.subarray(0, v.width);
}
