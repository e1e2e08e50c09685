import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HookName, Model, ModelSpec } from '../../../src/engine';
import { ensureGradients } from '../../../src/engine';
import { type Metric, metricOnLogits } from '../../../src/interp/metrics';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

const SPECS: [string, ModelSpec][] = [
  ['gpt2 (tanh GELU)', gpt2Spec()],
  ['gpt2 (erf GELU)', gpt2Spec({ act: 'gelu' })],
  ['llama (GQA, half rotary)', llamaSpec()],
  [
    'qwen2-like (qkv bias, partial interleaved rotary)',
    llamaSpec({ qkvBias: true, rotary: { theta: 1e4, dim: 2, layout: 'interleaved' } }),
  ],
];

// 18 tokens. While a gradient tape records, the attention runs as tfjs ops (the native kernels have no gradients).
const PROMPT = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 3, 2, 38, 4, 6, 26, 43];
const METRICS: Metric[] = [
  { kind: 'refusal-score', refusal: [3, 7] },
  { kind: 'logit-diff', target: [5], baseline: [9, 10] },
  { kind: 'prob', token: 4 },
];

function metricWithDelta(model: Model, hook: HookName, metric: Metric, delta: tf.Tensor): tf.Scalar {
  const r = model.run(PROMPT, { hooks: { [hook]: (x: tf.Tensor) => tf.add(x, delta) }, logits: 'last' });
  return tf.sum(metricOnLogits(metric, tf.squeeze(r.logits!, [1]) as tf.Tensor2D));
}

describe.each(SPECS)('gradients through the forward pass of %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    ensureGradients();
    model = randomModel(spec, 9);
  });

  const points: [HookName, number[]][] = [
    ['blocks.0.hook_resid_pre', [1, PROMPT.length, spec.dModel]],
    ['blocks.0.attn.hook_z', [1, PROMPT.length, spec.nHeads, spec.dHead]],
    ['blocks.1.hook_mlp_out', [1, PROMPT.length, spec.dModel]],
  ];
  it.each(points)('match central differences at %s', async (hook, shape) => {
    for (const metric of METRICS) {
      let grad = 0;
      let numeric = 0;
      await expectNoLeaks(() =>
        tf.tidy(() => {
          const u = tf.randomNormal(shape, 0, 1, 'float32', 3);
          const g = tf.grad((d: tf.Tensor) => metricWithDelta(model, hook, metric, d))(tf.zeros(shape));
          const eps = 2e-3;
          const plus = metricWithDelta(model, hook, metric, tf.mul(u, eps)).arraySync();
          const minus = metricWithDelta(model, hook, metric, tf.mul(u, -eps)).arraySync();
          grad = (tf.sum(tf.mul(g, u)) as tf.Scalar).arraySync();
          numeric = (plus - minus) / (2 * eps);
        }),
      );
      expect(Math.abs(grad - numeric), `${metric.kind}: ${grad} vs ${numeric}`).toBeLessThan(
        2e-3 + 1e-2 * Math.abs(numeric),
      );
    }
  });
});
