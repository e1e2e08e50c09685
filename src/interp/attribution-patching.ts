/**
 * Attribution patching: the first-order estimate of a whole patching grid from one forward and
 * one backward pass of the target, effect ≈ (source − target activation) · ∂metric/∂activation,
 * summed over the site's features and positions. The gradient is taken by adding a zero tensor
 * at each hook point and differentiating the metric with respect to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients, type HookName, type Hooks, type Model, withComposedOps } from '../engine';
import { correlation, mergeHooks, readFloats } from './batching';
import { checkMetric, type Metric, metricOnLogits } from './metrics';
import {
  alignedSource,
  type PatchGrid,
  type PatchOptions,
  type PatchPair,
  patchSweep,
  type Sweep,
  siteHook,
  sitePositions,
  sweepLayout,
} from './patching';

/** The gradient estimate of `patchSweep`'s grid (same layout). */
export async function attributionPatch(
  model: Model,
  pair: PatchPair,
  sweep: Sweep,
  metric: Metric,
  opts: Pick<PatchOptions, 'hooks'> = {},
): Promise<PatchGrid> {
  checkMetric(model, metric);
  ensureGradients();
  const layout = sweepLayout(model, pair, sweep);
  const T = pair.target.length;
  const { nHeads: H } = model.spec;
  const hooks = [...new Set(layout.cells.map((c) => siteHook(c[0]!)))];
  // Per hook, a [T, heads | 1] weight for each cell: which positions (and head) it sums over.
  const cellWeights = layout.cells.map(([site]) => {
    const width = site!.kind === 'head' ? H : 1;
    const w = new Float32Array(T * width);
    for (const t of sitePositions(model, pair, site!))
      w[t * width + (site!.kind === 'head' ? site!.head : 0)] = 1;
    return w;
  });
  // The same kernels as the gradient pass below: a self-patch then estimates exactly zero.
  const src = withComposedOps(() => alignedSource(model, pair, hooks, metric, opts.hooks));
  const captured = new Map<HookName, tf.Tensor>();
  try {
    const zeros = hooks.map((h) => tf.zerosLike(src.acts.get(h)!));
    const f = (...deltas: tf.Tensor[]) => {
      const add: Hooks = {};
      hooks.forEach((h, i) => {
        add[h] = (x) => {
          captured.get(h)?.dispose();
          captured.set(h, tf.keep(x.clone()));
          return tf.add(x, deltas[i]!);
        };
      });
      const r = model.run(pair.target, { hooks: mergeHooks(opts.hooks, add), logits: 'last' });
      return tf.sum(metricOnLogits(metric, tf.squeeze(r.logits!, [1]) as tf.Tensor2D)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(zeros);
    for (const z of zeros) z.dispose();
    const effect = tf.tidy(() => {
      // Per hook: (source − target) · gradient summed over features → [T, heads | 1].
      const perHook = new Map<HookName, tf.Tensor>();
      hooks.forEach((h, i) => {
        const s = src.acts.get(h)!;
        const prod = tf.mul(tf.sub(s, captured.get(h)!), grads[i]!);
        perHook.set(h, tf.reshape(tf.sum(prod, -1), [-1]));
      });
      return tf.stack(
        layout.cells.map(([site], c) =>
          tf.sum(tf.mul(perHook.get(siteHook(site!))!, tf.tensor1d(cellWeights[c]!))),
        ),
      );
    });
    for (const g of grads) g.dispose();
    const target = (await readFloats(value))[0]!;
    return {
      ...layout.labels,
      effect: await readFloats(effect),
      source: (await src.metric.data())[0]!,
      target,
    };
  } finally {
    for (const t of src.acts.values()) t.dispose();
    for (const t of captured.values()) t.dispose();
    src.metric.dispose();
  }
}

/** Exact patching and its gradient estimate side by side, with their correlation over cells. */
export async function comparePatching(
  model: Model,
  pair: PatchPair,
  sweep: Sweep,
  metric: Metric,
  opts: PatchOptions = {},
): Promise<{ exact: PatchGrid; attribution: PatchGrid; correlation: number }> {
  const exact = await patchSweep(model, pair, sweep, metric, opts);
  const attribution = await attributionPatch(model, pair, sweep, metric, opts);
  return { exact, attribution, correlation: correlation(exact.effect, attribution.effect) };
}
