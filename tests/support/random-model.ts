/** Small random-weight models built in memory, for engine invariants that need no fixture. */
import { Model } from '../../src/engine/model';
import { expectedWeights, type HostTensor, type ModelSpec } from '../../src/engine/spec';

export function gpt2Spec(over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    modelType: 'gpt2',
    nLayers: 2,
    dModel: 16,
    nHeads: 4,
    nKvHeads: 4,
    dHead: 4,
    dMlp: 64,
    vocabSize: 50,
    nCtx: 64,
    norm: 'layer',
    normEps: 1e-5,
    pos: 'learned',
    mlp: 'gelu',
    act: 'gelu_new',
    qkvBias: true,
    outBias: true,
    mlpBias: true,
    tiedEmbeddings: true,
    eosTokenIds: [49],
    ...over,
  };
}

export function llamaSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    modelType: 'llama',
    nLayers: 2,
    dModel: 16,
    nHeads: 4,
    nKvHeads: 2,
    dHead: 4,
    dMlp: 40,
    vocabSize: 50,
    nCtx: 64,
    norm: 'rms',
    normEps: 1e-6,
    pos: 'rotary',
    rotary: { theta: 10000, dim: 4, layout: 'half' },
    mlp: 'swiglu',
    act: 'silu',
    qkvBias: false,
    outBias: false,
    mlpBias: false,
    tiedEmbeddings: false,
    eosTokenIds: [2],
    ...over,
  };
}

/** Deterministic pseudo-random weights (norm gains near 1 so activations stay well scaled). */
export function randomWeights(spec: ModelSpec, seed = 1): Map<string, HostTensor> {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const out = new Map<string, HostTensor>();
  for (const [name, shape] of expectedWeights(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isGain = /ln.*\.w$|ln_final\.w$/.test(name);
    for (let i = 0; i < n; i++) data[i] = isGain ? 1 + 0.2 * rand() : 0.6 * rand();
    out.set(name, { shape, data });
  }
  return out;
}

export function randomModel(spec: ModelSpec, seed = 1): Model {
  return Model.fromHost(`random-${spec.modelType}-${seed}`, spec, randomWeights(spec, seed));
}
