/**
 * What one greedy decode step asks of a backend that runs tfjs's own kernels (WebGPU's path; the
 * native kernels are WebAssembly's only): kernels launched and tensors made from JS values (each
 * an upload to the GPU there), for 12-layer GPT-2- and Llama-shaped models (counts do not depend
 * on the widths). Counted on the CPU backend, which runs the same op graph. docs/ENGINE.md quotes it.
 *
 *   npx tsx bench/web/per-token.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { KvCache } from '../../src/engine/kv-cache';
import { sampleTokens } from '../../src/engine/sampling';
import { gpt2Spec, llamaSpec, randomModel } from '../../tests/support/random-model';

await tf.setBackend('cpu');
const engine = tf.engine() as unknown as { makeTensor: (...a: unknown[]) => tf.Tensor };
const makeTensor = engine.makeTensor.bind(engine);
let uploads: string[] = [];
engine.makeTensor = (...a: unknown[]) => {
  const t = makeTensor(...a);
  uploads.push(`${t.dtype}[${t.shape}]`);
  return t;
};

const tally = (names: readonly string[]) => {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([n, c]) => `${n} ${c}`)
    .join(', ');
};

for (const [name, spec] of [
  ['gpt2', gpt2Spec({ nLayers: 12 })],
  ['llama', llamaSpec({ nLayers: 12 })],
] as const) {
  const model = randomModel(spec, 1);
  const kv = new KvCache(model.spec);
  tf.dispose(model.run([[1, 2, 3, 4, 5]], { kv, logits: 'last' }).logits!);
  uploads = [];
  let readbacks = 0;
  const { kernels } = await tf.profile(async () => {
    const next = tf.tidy(() => {
      const { logits } = model.run([[6]], { kv, logits: 'last', step: 1 });
      return sampleTokens(tf.squeeze(logits!, [1]) as tf.Tensor2D, {}, [0]);
    });
    await next.data();
    readbacks++;
    next.dispose();
  });
  // The op-level record of a fused matmul duplicates its kernel's; Reshape moves no data on WebGPU.
  const launched = kernels.map((k) => k.name).filter((n) => !n.endsWith('__op'));
  const dispatches = launched.filter((n) => n !== 'Reshape');
  console.log(`${name}, 12 layers, one decode step:`);
  console.log(
    `  kernels ${dispatches.length} (+${launched.length - dispatches.length} Reshape): ${tally(dispatches)}`,
  );
  console.log(`  uploads ${uploads.length}: ${tally(uploads)}`);
  console.log(`  readbacks ${readbacks} (the next token id)`);
  kv.dispose();
  model.dispose();
}
