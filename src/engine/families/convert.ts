/**
 * The shared half of every family's weight conversion: a family describes, per Hugging Face
 * tensor, the shape it must have and the canonical tensors it becomes; `convertCheckpoint` reads
 * each tensor once, checks everything, and reports all problems in one error (STYLE.md #6).
 */
import { ShapeMismatchError } from '../errors';
import { expectedWeights, type HostTensor, type ModelSpec } from '../spec';
import type { CheckpointReader } from './types';

export interface SourceRule {
  /** Hugging Face name after `normalise` (e.g. without the `transformer.` prefix). */
  readonly source: string;
  /** The shape the checkpoint must hold under that name. */
  readonly shape: readonly number[];
  /** Canonical names produced, for reporting what a missing tensor would have been. */
  readonly targets: readonly string[];
  /** Turns the checked source tensor into canonical tensors. */
  readonly convert: (t: HostTensor) => ReadonlyArray<readonly [string, HostTensor]>;
}

export interface ConversionPlan {
  readonly rules: readonly SourceRule[];
  /** Maps a checkpoint name to the plan's spelling (prefixes differ between saves). */
  readonly normalise: (name: string) => string;
  /** Normalised names that hold no weight the model needs: buffers, the tied copy of W_E. */
  readonly ignorable: (name: string) => boolean;
}

/**
 * The common rules, as builders that collect a plan's rules in order. Families add their own
 * (`rules.push`) for fused or permuted tensors.
 */
export function ruleBuilder() {
  const rules: SourceRule[] = [];
  return {
    rules,
    /** The layout already matches the canonical one: the tensor passes through without a copy. */
    same(source: string, target: string, shape: readonly number[]) {
      rules.push({ source, shape, targets: [target], convert: (t) => [[target, t]] });
    },
    /**
     * nn.Linear stores its weight as [out, in] and computes x @ Wᵀ. The kernels want x @ W with no
     * per-call transpose (DESIGN.md, performance habits), so each matrix is transposed once, here.
     */
    linear(source: string, target: string, out: number, inp: number) {
      rules.push({ source, shape: [out, inp], targets: [target], convert: (t) => [[target, transposed(t)]] });
    },
    /**
     * A fused nn.Linear [Σ outs, in] whose output rows are the targets one after another (Phi-3's
     * qkv_proj and gate_up_proj): transposed once, then split by columns.
     */
    fusedLinear(source: string, targets: readonly string[], outs: readonly number[], inp: number) {
      const total = outs.reduce((a, b) => a + b, 0);
      rules.push({
        source,
        shape: [total, inp],
        targets,
        convert: (t) => splitColumns(transposed(t), outs).map((part, i) => [targets[i]!, part] as const),
      });
    },
    /** A fused bias, split like fusedLinear's rows. */
    fusedVector(source: string, targets: readonly string[], widths: readonly number[]) {
      const total = widths.reduce((a, b) => a + b, 0);
      rules.push({
        source,
        shape: [total],
        targets,
        convert: (t) => splitVector(t, widths).map((part, i) => [targets[i]!, part] as const),
      });
    },
  };
}

/** Buffers some older saves keep next to the weights; recomputed from rope_theta. */
export const ROTARY_BUFFER = /(^|\.)rotary_emb\.inv_freq$/;

/** A save of the bare *Model (no LM head) has no `model.` prefix; accept both spellings. */
export const withModelPrefix = (name: string) =>
  name.startsWith('model.') || name.startsWith('lm_head.') ? name : `model.${name}`;

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function describeSpec(spec: ModelSpec): string {
  return (
    `${spec.modelType}: ${spec.nLayers} layers, d_model ${spec.dModel}, ${spec.nHeads} heads, ` +
    `${spec.nKvHeads} key/value heads, d_mlp ${spec.dMlp}, vocabulary ${spec.vocabSize}`
  );
}

/** Runs a plan over a checkpoint; returns canonical weights or throws one ShapeMismatchError. */
export function convertCheckpoint(
  spec: ModelSpec,
  checkpoint: CheckpointReader,
  plan: ConversionPlan,
): Map<string, HostTensor> {
  const missing: string[] = [];
  const unexpected: string[] = [];
  const mismatched: string[] = [];

  const actualName = new Map<string, string>();
  for (const name of checkpoint.names) {
    const key = plan.normalise(name);
    // Two spellings of one tensor (e.g. `h.0.x` and `transformer.h.0.x`) leave it ambiguous.
    if (actualName.has(key)) unexpected.push(`${name} (duplicates ${actualName.get(key)})`);
    else actualName.set(key, name);
  }
  const sources = new Set(plan.rules.map((r) => r.source));
  for (const [key, name] of actualName) {
    if (!sources.has(key) && !plan.ignorable(key)) unexpected.push(name);
  }

  const out = new Map<string, HostTensor>();
  const accounted = new Set<string>();
  for (const rule of plan.rules) {
    const name = actualName.get(rule.source);
    if (name === undefined) {
      missing.push(`${rule.source} (for ${rule.targets.join(', ')})`);
      for (const t of rule.targets) accounted.add(t);
      continue;
    }
    const t = checkpoint.read(name);
    if (!sameShape(t.shape, rule.shape) || t.data.length !== size(rule.shape)) {
      const len = t.data.length === size(t.shape) ? '' : ` holding ${t.data.length} values`;
      mismatched.push(`${name} is ${fmt(t.shape)}${len}, expected ${fmt(rule.shape)}`);
      for (const target of rule.targets) accounted.add(target);
      continue;
    }
    // Once the checkpoint is known to be bad, keep checking shapes but stop holding converted
    // tensors, so that a wrong 1 GB checkpoint does not also cost 1 GB of converted copies.
    if (missing.length + unexpected.length + mismatched.length > 0) continue;
    for (const [canonical, value] of rule.convert(t)) out.set(canonical, value);
  }

  const problems = missing.length + unexpected.length + mismatched.length;
  if (problems === 0) {
    // The family's own bookkeeping, checked against spec.ts: a bug here must not reach the kernels.
    const expected = expectedWeights(spec);
    for (const [canonical, shape] of expected) {
      const got = out.get(canonical);
      if (got === undefined) {
        if (!accounted.has(canonical)) missing.push(`${canonical} (no rule produces it)`);
      } else if (!sameShape(got.shape, shape) || got.data.length !== size(shape)) {
        mismatched.push(`${canonical} is ${fmt(got.shape)} after conversion, expected ${fmt(shape)}`);
      }
    }
    for (const canonical of out.keys()) {
      if (!expected.has(canonical)) unexpected.push(`${canonical} (produced but not part of the spec)`);
    }
  }

  if (missing.length + unexpected.length + mismatched.length > 0) {
    const section = (title: string, items: string[]) =>
      items.length ? [`  ${title} (${items.length}):`, ...items.map((s) => `    ${s}`)] : [];
    throw new ShapeMismatchError(
      [
        `The checkpoint does not match config.json (${describeSpec(spec)}):`,
        ...section('missing', missing),
        ...section('unexpected', unexpected),
        ...section('wrong shape', mismatched),
        'Check that config.json and the weights come from the same model.',
      ].join('\n'),
    );
  }
  return out;
}

/**
 * Transpose of a row-major [rows, cols] matrix. It runs over 64×64 tiles so that the strided
 * side of the copy stays in cache; a plain double loop strides `rows` floats on every access and
 * is several times slower on the 100M+ parameter checkpoints this runs on at load. Inside a tile
 * the writes are the contiguous side.
 */
export function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  if (src.length !== rows * cols) {
    throw new RangeError(`transpose: ${src.length} values cannot be a [${rows}, ${cols}] matrix`);
  }
  const dst = new Float32Array(rows * cols);
  const B = 64;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let j = j0; j < j1; j++) {
        let w = j * rows + i0;
        const end = j * rows + i1;
        let r = i0 * cols + j;
        while (w < end) {
          dst[w++] = src[r]!;
          r += cols;
        }
      }
    }
  }
  return dst;
}

/** A 2-D host tensor [r, c] → [c, r]. */
export function transposed(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape as [number, number];
  return { shape: [cols, rows], data: transpose(t.data, rows, cols) };
}

/** Splits a row-major [rows, Σwidths] matrix into [rows, width] blocks of consecutive columns. */
export function splitColumns(t: HostTensor, widths: readonly number[]): HostTensor[] {
  const [rows, cols] = t.shape as [number, number];
  let offset = 0;
  return widths.map((w) => {
    const data = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) data.set(t.data.subarray(r * cols + offset, r * cols + offset + w), r * w);
    offset += w;
    return { shape: [rows, w], data };
  });
}

/** Splits a vector into consecutive pieces (copies, so the source buffer can be freed). */
export function splitVector(t: HostTensor, widths: readonly number[]): HostTensor[] {
  let offset = 0;
  return widths.map((w) => {
    const data = t.data.slice(offset, offset + w);
    offset += w;
    return { shape: [w], data };
  });
}
