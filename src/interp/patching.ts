/**
 * Activation patching: copy activations of a source run into a target run and measure how a
 * metric of the target's next-token distribution moves. A sweep patches one site per cell (every
 * head, or every layer × position) and runs the cells as the rows of batched forward passes, so
 * a 12 × 12 head grid is a handful of passes, with one small read-back per pass.
 *
 * Positions align from the end: a source shorter or longer than the target lines up with the
 * target's last tokens (the chat template's suffix), so patching the last position works across
 * prompts of different lengths; patching every position needs equal lengths.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type BlockPointShortName,
  type HookName,
  type Hooks,
  hookName,
  KvCache,
  type Model,
  RudderError,
} from '../engine';
import { mergeHooks, readFloats } from './batching';
import { checkHead } from './heads';
import { checkMetric, type Metric, metricOnLogits } from './metrics';

/** Residual-stream points a patch can copy (TransformerLens names without `hook_`). */
export type PatchPoint = 'resid_pre' | 'resid_mid' | 'resid_post' | 'attn_out' | 'mlp_out';

/** One activation to copy. `position` counts from the start (≥ 0) or the end (< 0); absent = all. */
export type PatchSite =
  | { readonly kind: 'point'; readonly point: PatchPoint; readonly layer: number; readonly position?: number }
  | { readonly kind: 'head'; readonly layer: number; readonly head: number; readonly position?: number };

/** A grid of single-site patches: [layers × heads], or [layers × positions] of one point. */
export type Sweep =
  | { readonly kind: 'heads'; readonly positions?: 'all' | 'last' }
  | { readonly kind: 'point'; readonly point: PatchPoint; readonly positions?: 'each' | 'all' | 'last' };

export interface PatchPair {
  /** The run whose activations are copied (the "clean" run). */
  readonly source: readonly number[];
  /** The run that is patched and measured. */
  readonly target: readonly number[];
}

export interface PatchGrid {
  readonly rows: number;
  readonly cols: number;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  /** metric(patched) − metric(target) per cell, row-major [rows, cols]. */
  readonly effect: Float32Array;
  /** The metric of the unpatched source and target runs (normalise by their difference). */
  readonly source: number;
  readonly target: number;
}

export interface PatchOptions {
  /** Interventions active in both runs (patching under steering). */
  readonly hooks?: Hooks;
  /** Most tokens (rows × length) per forward pass. Default 2048. */
  readonly maxTokens?: number;
}

/** Patches every site at once; returns the source, target and patched metric. */
export async function patch(
  model: Model,
  pair: PatchPair,
  sites: readonly PatchSite[],
  metric: Metric,
  opts: PatchOptions = {},
): Promise<{ source: number; target: number; patched: number }> {
  const grid = await runCells(model, pair, [sites], metric, opts);
  return { source: grid.source, target: grid.target, patched: grid.target + grid.effect[0]! };
}

/** Patches one site per cell of the sweep: the effect of each on the metric. */
export async function patchSweep(
  model: Model,
  pair: PatchPair,
  sweep: Sweep,
  metric: Metric,
  opts: PatchOptions = {},
): Promise<PatchGrid> {
  const layout = sweepLayout(model, pair, sweep);
  const r = await runCells(model, pair, layout.cells, metric, opts);
  return { ...layout.labels, effect: r.effect, source: r.source, target: r.target };
}

export interface SweepLayout {
  readonly labels: Pick<PatchGrid, 'rows' | 'cols' | 'rowLabels' | 'colLabels'>;
  readonly cells: PatchSite[][];
}

export function sweepLayout(model: Model, pair: PatchPair, sweep: Sweep): SweepLayout {
  const { nLayers: L, nHeads: H } = model.spec;
  const T = pair.target.length;
  const rowLabels = Array.from({ length: L }, (_, l) => `L${l}`);
  if (sweep.kind === 'heads') {
    const position = sweep.positions === 'last' ? -1 : undefined;
    const cells: PatchSite[][] = [];
    for (let layer = 0; layer < L; layer++)
      for (let head = 0; head < H; head++) cells.push([{ kind: 'head', layer, head, position }]);
    return {
      labels: { rows: L, cols: H, rowLabels, colLabels: Array.from({ length: H }, (_, h) => `H${h}`) },
      cells,
    };
  }
  const each = (sweep.positions ?? 'each') === 'each';
  const positions = each
    ? Array.from({ length: T }, (_, t) => t)
    : [sweep.positions === 'last' ? -1 : undefined];
  const cells = rowLabels.flatMap((_, layer) =>
    positions.map((position) => [{ kind: 'point', point: sweep.point, layer, position } as PatchSite]),
  );
  const colLabels = each ? positions.map((t) => `${t}`) : [sweep.positions ?? 'all'];
  return { labels: { rows: L, cols: colLabels.length, rowLabels, colLabels }, cells };
}

/** The hook a site lives on. */
export function siteHook(site: PatchSite): HookName {
  const short: BlockPointShortName = site.kind === 'head' ? 'z' : site.point;
  return hookName(short, site.layer);
}

/**
 * Source activations of the given hooks, re-indexed to the target's positions ([1, T, ...]):
 * row t holds the source's row t − (T − S). Rows with no source counterpart hold zeros and are
 * refused by `siteMask`. Also returns the source's metric. The caller disposes the tensors.
 */
export function alignedSource(
  model: Model,
  pair: PatchPair,
  hooks: readonly HookName[],
  metric: Metric,
  userHooks: Hooks | undefined,
): { acts: Map<HookName, tf.Tensor>; metric: tf.Tensor1D } {
  const r = model.run(pair.source, { hooks: userHooks, cache: hooks, logits: 'last' });
  const shift = pair.target.length - pair.source.length;
  const acts = new Map<HookName, tf.Tensor>();
  for (const h of hooks) {
    const x = r.cache.get(h)!;
    if (shift === 0) {
      acts.set(h, x);
      continue;
    }
    const rest = x.shape.slice(2);
    acts.set(
      h,
      tf.tidy(() =>
        shift > 0
          ? tf.concat([tf.zeros([1, shift, ...rest]), x], 1)
          : tf.slice(x, [0, -shift], [-1, pair.target.length]),
      ),
    );
    x.dispose();
  }
  const m = tf.tidy(() => metricOnLogits(metric, tf.squeeze(r.logits!, [1]) as tf.Tensor2D));
  r.logits!.dispose();
  return { acts, metric: m };
}

/** The positions of the target a site covers, checked against what the source can supply. */
export function sitePositions(model: Model, pair: PatchPair, site: PatchSite): number[] {
  const T = pair.target.length;
  const S = pair.source.length;
  if (site.kind === 'head') checkHead(model.spec, site);
  else if (!Number.isInteger(site.layer) || site.layer < 0 || site.layer >= model.spec.nLayers)
    throw new RudderError(
      'bad-layer',
      `Layer ${site.layer} does not exist (the model has ${model.spec.nLayers}).`,
    );
  if (site.position === undefined) {
    if (S !== T)
      throw new RudderError(
        'length-mismatch',
        `Patching every position needs source and target of one length (they have ${S} and ${T} tokens); patch the last position instead.`,
      );
    return Array.from({ length: T }, (_, t) => t);
  }
  const t = site.position < 0 ? T + site.position : site.position;
  if (t < 0 || t >= T || t - (T - S) < 0)
    throw new RudderError(
      'bad-position',
      `Position ${site.position} is outside the ${Math.min(S, T)} aligned tokens.`,
    );
  return [t];
}

/**
 * Runs each cell (a set of sites) as one row of the target batch; effect = patched − target.
 * Positions before the first patched one are identical in every row, so they run once and each
 * row continues from their keys and values: a last-position sweep runs one token per cell.
 */
async function runCells(
  model: Model,
  pair: PatchPair,
  cells: readonly (readonly PatchSite[])[],
  metric: Metric,
  opts: PatchOptions,
): Promise<{ effect: Float32Array; source: number; target: number }> {
  checkMetric(model, metric);
  const T = pair.target.length;
  const { nHeads: H } = model.spec;
  const cellPositions = cells.map((sites) => sites.map((s) => sitePositions(model, pair, s)));
  const p0 = Math.min(T - 1, ...cellPositions.flat(2));
  const S = T - p0;
  const suffix = pair.target.slice(p0);
  const hooks = [...new Set(cells.flatMap((sites) => sites.map(siteHook)))];
  const src = alignedSource(model, pair, hooks, metric, opts.hooks);
  const prefix = new KvCache(model.spec);
  const srcSuffix = new Map<HookName, tf.Tensor>();
  const runRows = (B: number, extra: Hooks): tf.Tensor1D => {
    const kv = new KvCache(model.spec);
    try {
      if (p0 > 0) {
        prefix.layers.forEach((layer, l) => {
          kv.layers[l] = { k: tf.tile(layer!.k, [B, 1, 1, 1]), v: tf.tile(layer!.v, [B, 1, 1, 1]) };
        });
        kv.length = p0;
      }
      const rows = Array.from({ length: B }, () => suffix);
      const r = model.run(rows, { kv, hooks: mergeHooks(opts.hooks, extra), logits: 'last' });
      return tf.tidy(() => {
        const m = metricOnLogits(metric, tf.squeeze(r.logits!, [1]) as tf.Tensor2D);
        r.logits!.dispose();
        return m;
      });
    } finally {
      kv.dispose();
    }
  };
  try {
    if (p0 > 0) model.run(pair.target.slice(0, p0), { hooks: opts.hooks, kv: prefix, logits: 'none' });
    for (const h of hooks) srcSuffix.set(h, tf.slice(src.acts.get(h)!, [0, p0], [-1, S]));
    const target = (await readFloats(runRows(1, {})))[0]!;
    const effect = new Float32Array(cells.length);
    const perPass = Math.max(1, Math.floor((opts.maxTokens ?? 2048) / S));
    for (let c0 = 0; c0 < cells.length; c0 += perPass) {
      const chunk = cells.slice(c0, c0 + perPass);
      const B = chunk.length;
      // Per hook, a [B, S, heads | 1, 1] mask: 1 where that row copies the source.
      const masks = new Map<HookName, Float32Array>();
      chunk.forEach((sites, b) =>
        sites.forEach((site, i) => {
          const h = siteHook(site);
          const width = site.kind === 'head' ? H : 1;
          let m = masks.get(h);
          if (!m) {
            m = new Float32Array(B * S * width);
            masks.set(h, m);
          }
          for (const t of cellPositions[c0 + b]![i]!)
            m[(b * S + t - p0) * width + (site.kind === 'head' ? site.head : 0)] = 1;
        }),
      );
      const patchHooks: Hooks = {};
      for (const [h, m] of masks) {
        const s = srcSuffix.get(h)!;
        const shape = s.rank === 4 ? [B, S, H, 1] : [B, S, 1];
        patchHooks[h] = (x) => tf.add(x, tf.mul(tf.tensor(m, shape), tf.sub(s, x)));
      }
      const values = await readFloats(tf.tidy(() => tf.sub(runRows(B, patchHooks), target)));
      effect.set(values, c0);
    }
    return { effect, source: (await src.metric.data())[0]!, target };
  } finally {
    for (const t of [...src.acts.values(), ...srcSuffix.values()]) t.dispose();
    src.metric.dispose();
    prefix.dispose();
  }
}
