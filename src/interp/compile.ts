/**
 * compile(interventions, context) → hooks. Each intervention kind becomes hook functions at the
 * points METHODS.md names; the tensors they need are made once here, so a decode step costs one
 * or two small ops per hook.
 *
 * Composition order: interventions apply in the order listed. Where two act at the same hook
 * point, the later one sees the earlier one's output; across points, the forward pass's order
 * decides (resid_pre → ln1 → attn_out → … → resid_post). An intervention whose strength is 0
 * compiles to no hook at all, so the run is bit-identical to the unsteered one.
 *
 * Ownership: the returned `dispose()` frees every tensor the hooks hold; call it once the hooks
 * are no longer used (after the generation or run). The hooks must not run after that.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HookFn, type HookName, type Hooks, hookName, type ModelSpec, RudderError } from '../engine';
import { type HeadGate, type HeadMeans, headGateHooks } from './heads';
import type {
  AblateIntervention,
  AddIntervention,
  GateIntervention,
  GuardIntervention,
  Intervention,
  LayerWeightedIntervention,
  RotateIntervention,
  SparsifyIntervention,
  UnitsIntervention,
} from './interventions';
import { unit } from './linalg';
import {
  cosineGate,
  planeTensors,
  projectOut,
  redirect,
  renormalize,
  rotateAngular,
  rotateSelective,
  selectiveRotation,
  zeroBelow,
} from './operators';
import { applyRange, positionRange } from './positions';
import {
  assertCompatible,
  layerDirection,
  type SteeringPlane,
  type SteeringVector,
  type UnitSelection,
  vectorLayers,
} from './vector';

export interface CompileContext {
  /** The model the hooks will run on (a `Model` satisfies this). */
  readonly model: { readonly id: string; readonly spec: ModelSpec };
  /** Vectors, planes and unit selections, by the names interventions use. */
  readonly vectors?: Readonly<Record<string, SteeringVector>>;
  readonly planes?: Readonly<Record<string, SteeringPlane>>;
  readonly units?: Readonly<Record<string, UnitSelection>>;
  /** Each head's mean z over a reference set: what a gate's mean ablation puts in its place. */
  readonly headMeans?: HeadMeans;
}

/** Whether compiling these needs `headMeans`: a gate that mean-ablates a head. */
export function needsHeadMeans(interventions: readonly Intervention[]): boolean {
  return interventions.some((iv) => iv.kind === 'gate' && iv.heads.some((g) => g.mode === 'mean'));
}

export interface CompiledInterventions {
  readonly hooks: Hooks;
  /** Frees the tensors the hooks hold. */
  dispose(): void;
}

/** An intervention that references something missing, or asks for what its data cannot give. */
export class InterventionError extends RudderError {
  constructor(message: string) {
    super('bad-intervention', message);
  }
}

export function compile(
  interventions: Intervention | readonly Intervention[],
  ctx: CompileContext,
): CompiledInterventions {
  const list: readonly Intervention[] = Array.isArray(interventions)
    ? interventions
    : [interventions as Intervention];
  const b = new HookBuilder();
  try {
    for (const iv of list) compileOne(iv, ctx, b);
  } catch (e) {
    b.dispose();
    throw e;
  }
  return { hooks: b.hooks(), dispose: () => b.dispose() };
}

function compileOne(iv: Intervention, ctx: CompileContext, b: HookBuilder): void {
  switch (iv.kind) {
    case 'add':
      compileAdd(iv, ctx, b);
      break;
    case 'ablate':
      compileAblate(iv, ctx, b);
      break;
    case 'rotate':
      compileRotate(iv, ctx, b);
      break;
    case 'units':
      compileUnits(iv, ctx, b);
      break;
    case 'layer-weighted':
      compileLayerWeighted(iv, ctx, b);
      break;
    case 'guard':
      compileGuard(iv, ctx, b);
      break;
    case 'gate':
      compileGate(iv, ctx, b);
      break;
    case 'sparsify':
      compileSparsify(iv, ctx, b);
      break;
    default:
      assertNever(iv);
  }
}

export function assertNever(x: never): never {
  throw new InterventionError(
    `Unknown intervention kind: ${JSON.stringify((x as { kind?: unknown }).kind)}.`,
  );
}

/** Collects hook functions per point, in order, and the tensors they hold. */
class HookBuilder {
  private readonly byName = new Map<HookName, HookFn[]>();
  private readonly held: tf.Tensor[] = [];

  keep<T extends tf.Tensor>(t: T): T {
    this.held.push(tf.keep(t));
    return t;
  }

  on(name: HookName, fn: HookFn): void {
    const fns = this.byName.get(name) ?? [];
    fns.push(fn);
    this.byName.set(name, fns);
  }

  hooks(): Hooks {
    return Object.fromEntries(this.byName) as Hooks;
  }

  dispose(): void {
    for (const t of this.held) t.dispose();
    this.held.length = 0;
  }
}

function vectorOf(ctx: CompileContext, name: string): SteeringVector {
  const v = ctx.vectors?.[name];
  if (!v)
    throw new InterventionError(
      `No vector named "${name}" (have: ${Object.keys(ctx.vectors ?? {}).join(', ') || 'none'}).`,
    );
  assertCompatible(v, ctx.model);
  return v;
}

function layersOf(v: SteeringVector, wanted: readonly number[] | undefined): number[] {
  const have = vectorLayers(v);
  if (!wanted) return have;
  const missing = wanted.filter((l) => !have.includes(l));
  if (missing.length)
    throw new InterventionError(`The vector has no layer ${missing.join(', ')} (it has ${have.join(', ')}).`);
  return [...wanted];
}

function compileAdd(iv: AddIntervention, ctx: CompileContext, b: HookBuilder): void {
  if (iv.coefficient === 0) return;
  const v = vectorOf(ctx, iv.vector);
  const positions = iv.positions ?? { kind: 'all' };
  if (v.rows > 1 && positions.kind !== 'front')
    throw new InterventionError(
      `Vector "${iv.vector}" has one row per position (ActAdd): add it with front alignment.`,
    );
  for (const l of layersOf(v, iv.layers)) {
    const data = v.layers[l]!;
    const rows = iv.unit ? unitRows(data, v.rows, v.width) : data;
    const shape = v.rows > 1 ? [v.rows, v.width] : [v.width];
    const vec = b.keep(
      tf.tensor(
        rows.map((x) => x * iv.coefficient),
        shape,
      ),
    );
    const u = iv.ablateFirst ? b.keep(tf.tensor1d(unit(data.subarray(0, v.width)))) : undefined;
    b.on(hookName(v.hook, l), (x, hc) => {
      const range = positionRange(positions, hc, v.rows);
      if (!range) return undefined;
      const front = positions.kind === 'front' ? range[1] - range[0] : 0;
      return applyRange(x, range, (h) => {
        let y = u ? projectOut(h, u) : h;
        y = tf.add(y, front ? tf.slice(vec, [0, 0], [front, -1]) : vec);
        return iv.normalize ? renormalize(y, h) : y;
      });
    });
  }
}

function compileAblate(iv: AblateIntervention, ctx: CompileContext, b: HookBuilder): void {
  const s = iv.strength ?? 1;
  if (s === 0) return;
  const v = vectorOf(ctx, iv.vector);
  const { nLayers } = ctx.model.spec;
  const within = (l: number) => !iv.layers || iv.layers.includes(l);
  const ablate =
    (u: tf.Tensor1D): HookFn =>
    (x) =>
      projectOut(x, u, s);
  if ((iv.scope ?? 'residual-writes') === 'vector') {
    for (const l of vectorLayers(v).filter(within)) {
      b.on(hookName(v.hook, l), ablate(b.keep(tf.tensor1d(unit(layerDirection(v, l))))));
    }
    return;
  }
  if (v.hook === 'mlp_post')
    throw new InterventionError(
      'Residual-write ablation needs a d_model-wide direction, not an mlp_post one.',
    );
  const u = b.keep(tf.tensor1d(unit(layerDirection(v, iv.layer ?? vectorLayers(v)[0]!))));
  const fn = ablate(u);
  for (let l = 0; l < nLayers; l++) {
    if (!within(l)) continue;
    for (const point of ['resid_pre', 'attn_out', 'mlp_out'] as const) b.on(hookName(point, l), fn);
  }
}

function compileRotate(iv: RotateIntervention, ctx: CompileContext, b: HookBuilder): void {
  const theta = (iv.angle * Math.PI) / 180;
  const strength = iv.strength ?? 1;
  if (iv.mode === 'selective' ? Math.sin(theta) === 0 && Math.cos(theta) === 1 : strength === 0) return;
  const p = ctx.planes?.[iv.plane];
  if (!p) throw new InterventionError(`No plane named "${iv.plane}".`);
  assertCompatible(p, ctx.model);
  const plane = planeTensors(p.b1, p.b2);
  b.keep(plane.B);
  b.keep(plane.Bt);
  let fn: HookFn;
  if (iv.mode === 'selective') {
    const rotation = b.keep(selectiveRotation(p.b1, p.b2, theta));
    fn = (x) => rotateSelective(x, plane, rotation);
  } else {
    const opts = { theta, adaptive: iv.mode === 'adaptive', strength };
    fn = (x) => rotateAngular(x, plane, opts);
  }
  const modules =
    iv.modules === 'all'
      ? [...Array(ctx.model.spec.nLayers).keys()].flatMap((layer) =>
          (['ln1_normalized', 'ln2_normalized'] as const).map((point) => ({ layer, point })),
        )
      : p.modules;
  for (const m of modules) b.on(hookName(m.point, m.layer), fn);
}

function compileUnits(iv: UnitsIntervention, ctx: CompileContext, b: HookBuilder): void {
  const alpha = iv.alpha ?? 5;
  const k = iv.k ?? 10;
  if (alpha === 0 || k === 0) return;
  const sel = ctx.units?.[iv.units];
  if (!sel) throw new InterventionError(`No unit selection named "${iv.units}".`);
  assertCompatible(sel, ctx.model);
  const { spec } = ctx.model;
  const top = [...sel.units].sort((x, y) => Math.abs(y.beta) - Math.abs(x.beta)).slice(0, k);
  const scales = new Map<HookName, Float32Array>();
  for (const u of top) {
    const name = hookName(u.point, u.layer);
    const width = u.point === 'z' ? spec.nHeads * spec.dHead : spec.dModel;
    const s = scales.get(name) ?? new Float32Array(width).fill(1);
    s[u.index] = 1 + alpha * u.beta;
    scales.set(name, s);
  }
  for (const [name, s] of scales) {
    // z is [batch, pos, head, d_head]: the flat unit index is head·d_head + i.
    const shape = name.endsWith('hook_z') ? [spec.nHeads, spec.dHead] : [s.length];
    const t = b.keep(tf.tensor(s, shape));
    b.on(name, (x) => tf.mul(x, t));
  }
}

function compileLayerWeighted(iv: LayerWeightedIntervention, ctx: CompileContext, b: HookBuilder): void {
  if (iv.strength === 0) return;
  const v = vectorOf(ctx, iv.vector);
  const only = vectorLayers(v).length === 1 ? vectorLayers(v)[0] : undefined;
  const positions = iv.positions ?? { kind: 'last' };
  for (const { layer, weight } of iv.weights) {
    if (weight === 0) continue;
    // One direction read at one layer may steer every weighted layer (as Guiding Giants' r̂).
    const dir = unit(layerDirection(v, v.layers[layer] ? layer : (only ?? layer)));
    const t = b.keep(tf.tensor1d(dir.map((x) => x * iv.strength * weight)));
    b.on(hookName('resid_post', layer), (x, hc) => {
      const range = positionRange(positions, hc);
      return range ? applyRange(x, range, (h) => tf.add(h, t)) : undefined;
    });
  }
}

function compileGuard(iv: GuardIntervention, ctx: CompileContext, b: HookBuilder): void {
  if (iv.coefficient === 0) return;
  const pick = (v: SteeringVector) =>
    layerDirection(v, v.layers[iv.layer] || vectorLayers(v).length !== 1 ? iv.layer : vectorLayers(v)[0]!);
  const shift = b.keep(tf.tensor1d(pick(vectorOf(ctx, iv.vector)).map((x) => x * iv.coefficient)));
  const gate = iv.gate;
  const centroid = gate ? b.keep(tf.tensor1d(unit(pick(vectorOf(ctx, gate.centroid))))) : undefined;
  b.on(hookName('resid_post', iv.layer), (x) =>
    redirect(x, shift, centroid && gate ? cosineGate(x, centroid, gate.threshold) : undefined),
  );
}

function compileGate(iv: GateIntervention, ctx: CompileContext, b: HookBuilder): void {
  // Scale 1 is the identity: like strength 0 elsewhere, it compiles to no hook at all.
  const gates: HeadGate[] = iv.heads.filter((g) => !(g.mode === 'scale' && g.factor === 1));
  if (gates.length === 0) return;
  if (gates.some((g) => g.mode === 'mean') && !ctx.headMeans)
    throw new InterventionError('Mean ablation of a head needs head means in the compile context.');
  const hooks = headGateHooks(ctx.model.spec, gates, ctx.headMeans);
  for (const [name, fn] of Object.entries(hooks) as [HookName, HookFn | readonly HookFn[]][])
    for (const f of typeof fn === 'function' ? [fn] : fn) b.on(name, f);
}

function compileSparsify(iv: SparsifyIntervention, ctx: CompileContext, b: HookBuilder): void {
  iv.thresholds.forEach((eps, l) => {
    if (!(eps > 0)) return;
    if (l >= ctx.model.spec.nLayers)
      throw new InterventionError(
        `Sparsify has a threshold for layer ${l}; the model has ${ctx.model.spec.nLayers}.`,
      );
    b.on(hookName('mlp_post', l), (x) => zeroBelow(x, eps));
  });
}

function unitRows(data: Float32Array, rows: number, width: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) out.set(unit(data.subarray(r * width, (r + 1) * width)), r * width);
  return out;
}
