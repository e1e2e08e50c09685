/**
 * Interventions are data: a discriminated union on `kind`, with vectors, planes and unit
 * selections named by key (resolved from the compile context), operators named by strings, and no
 * functions, so that a spec survives JSON and URLs. `compile.ts` turns them into hooks. The zod
 * schemas in `src/experiment/interventions.ts` validate exactly these types.
 *
 * Strength 0 always means "no intervention": `coefficient` for add/guard, `strength` for
 * ablate/layer-weighted/rotate, `angle` for selective rotation, `alpha` (or k = 0) for units.
 */

/** Which token positions an intervention touches (absolute positions; decode steps included unless stated). */
export type InterventionPositions =
  /** Every position, prompt and generated tokens (repeng, Arditi). */
  | { kind: 'all' }
  /** The prompt pass only (step 0). */
  | { kind: 'prompt' }
  /** Positions ≥ start, through generation (CAA: from the end of the instruction on). */
  | { kind: 'from'; start: number }
  /** ActAdd's front alignment: row i of a per-position vector added at position i, prompt pass only. */
  | { kind: 'front' }
  /** The last position of each forward call (the newest token while generating). */
  | { kind: 'last' }
  /** The prompt's last position, on the prompt pass only (where a function vector is added, §13). */
  | { kind: 'prompt-last' };

/** h += c·v at the vector's hook of each chosen layer. */
export interface AddIntervention {
  kind: 'add';
  vector: string;
  coefficient: number;
  /** Default: every layer the vector has. */
  layers?: number[];
  /** Default: all. */
  positions?: InterventionPositions;
  /** Use v/‖v‖ instead of v at its raw norm. */
  unit?: boolean;
  /** Rescale each steered position back to its pre-steer norm (repeng's `normalize`). */
  normalize?: boolean;
  /** steering-vectors' "ablation then addition": remove h's component along v first. */
  ablateFirst?: boolean;
}

/** h ← h − s·(h·r̂)r̂ (Arditi et al.: s = 1, every residual write of every layer, all positions). */
export interface AblateIntervention {
  kind: 'ablate';
  vector: string;
  /** The vector layer whose direction is ablated; default its first layer. */
  layer?: number;
  /**
   * residual-writes: every resid_pre, attn_out and mlp_out (Arditi). vector: only at the
   * vector's own hook and layers, each with its own direction (steering-vectors' ablation).
   */
  scope?: 'residual-writes' | 'vector';
  /** Fraction of the projection removed; default 1. */
  strength?: number;
  /** Restrict to these layers (default all). */
  layers?: number[];
}

/**
 * Rotation in the plane (b1, b2) at the outputs of the pre-attention and pre-MLP norms (§6).
 * angular: set the in-plane angle to `angle`; adaptive: the same, only where h·b1 > 0;
 * selective: rotate by `angle` (θ = 0 is the identity).
 */
export interface RotateIntervention {
  kind: 'rotate';
  plane: string;
  mode: 'angular' | 'adaptive' | 'selective';
  /** Degrees. */
  angle: number;
  /**
   * Angular/adaptive: how far to turn from the current angle towards `angle` (1 = all the way,
   * the published operator; 0 = not at all). Every value preserves the norm. Default 1.
   */
  strength?: number;
  /** plane: the plane's (possibly discriminatively selected) modules; all: every norm output. */
  modules?: 'plane' | 'all';
}

/** AUSteer: x_j ← x_j + α·β_j·x_j for the top-k units by |β|, all positions. */
export interface UnitsIntervention {
  kind: 'units';
  units: string;
  /** Default 5. */
  alpha?: number;
  /** Default 10. */
  k?: number;
}

/** Guiding Giants' layer weighting: h_l += s·w_l·r̂_l at block outputs, last position by default. */
export interface LayerWeightedIntervention {
  kind: 'layer-weighted';
  vector: string;
  strength: number;
  weights: { layer: number; weight: number }[];
  positions?: InterventionPositions;
}

/**
 * GUARD-IT: h' = (h − c·s)·‖h‖/‖h − c·s‖ at resid_post[layer], for the rows whose gate fires:
 * cos(h at the call's last position, centroid) > threshold (activation routing). No gate: always.
 */
export interface GuardIntervention {
  kind: 'guard';
  vector: string;
  layer: number;
  coefficient: number;
  gate?: { centroid: string; threshold: number };
}

/** One head's gate (METHODS.md §9): zero it, replace it by its mean over a reference set, or scale it. */
export type HeadGateSpec =
  | { layer: number; head: number; mode: 'zero' }
  | { layer: number; head: number; mode: 'mean' }
  | { layer: number; head: number; mode: 'scale'; factor: number };

/**
 * Head gates on `attn.hook_z`, all positions and decode steps. Mean ablation needs the compile
 * context's `headMeans`. Scale 1 (and an empty list) compiles to no hook.
 */
export interface GateIntervention {
  kind: 'gate';
  heads: HeadGateSpec[];
}

/**
 * Activation sparsity (METHODS.md §15): zero the MLP hidden activations (`mlp.hook_post`) with
 * |x| ≤ ε_l, all positions and decode steps. `thresholds[l]` is ε of layer l; a layer without one
 * (or with ε ≤ 0) is left alone, so an empty list compiles to no hook.
 */
export interface SparsifyIntervention {
  kind: 'sparsify';
  thresholds: number[];
}

export type Intervention =
  | AddIntervention
  | AblateIntervention
  | RotateIntervention
  | UnitsIntervention
  | LayerWeightedIntervention
  | GuardIntervention
  | GateIntervention
  | SparsifyIntervention;

export type InterventionKind = Intervention['kind'];
