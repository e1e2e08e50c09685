/**
 * Gradients of the kernels the forward pass, the metrics and the tuned lens use. tfjs-core ships
 * its gradient functions as a side-effect module that neither the Node bundle (`tf-core.node.js`)
 * nor the bare ESM build loads, and importing it next to the Node bundle makes a second, broken
 * copy of tfjs. So attribution patching and tuned-lens training register these instead, once,
 * leaving any gradient already registered (e.g. by the full tfjs package) untouched.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;
type Attrs = Record<string, unknown>;

/** Sums dy over the axes along which `shape` was broadcast to dy's shape. */
function unbroadcast(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes([...shape], dy.shape);
  return tf.reshape(axes.length ? tf.sum(dy, axes) : dy, [...shape]);
}

/** dy of a reduction, reshaped with the reduced axes kept (size 1) so that it broadcasts over x. */
function keepDims(dy: tf.Tensor, xShape: readonly number[], axis: unknown): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], [...xShape]);
  return tf.reshape(
    dy,
    xShape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

function reduceSize(xShape: readonly number[], axis: unknown): number {
  const axes = tf.util.parseAxisParam(axis as number | number[], [...xShape]);
  return axes.reduce((n, a) => n * xShape[a]!, 1);
}

const one = (dy: tf.Tensor | tf.Tensor[]) => dy as tf.Tensor;
const many = (dy: tf.Tensor | tf.Tensor[]) => dy as tf.Tensor[];

const CONFIGS: tf.GradConfig[] = [
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(one(dy), a!.shape),
      b: () => unbroadcast(one(dy), b!.shape),
    }),
  },
  {
    kernelName: 'Sub',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(one(dy), a!.shape),
      b: () => unbroadcast(tf.neg(one(dy)), b!.shape),
    }),
  },
  {
    kernelName: 'Multiply',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(one(dy), b!), a!.shape),
      b: () => unbroadcast(tf.mul(one(dy), a!), b!.shape),
    }),
  },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(one(dy), b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(one(dy), a!), tf.square(b!))), b!.shape),
    }),
  },
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => one(dy) }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) },
  {
    kernelName: 'Square',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(x!, 2)) }),
  },
  {
    kernelName: 'Sqrt',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), tf.mul(tf.sqrt(x!), 2)) }),
  },
  {
    kernelName: 'Rsqrt',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.pow(tf.rsqrt(x!), 3), -0.5)) }),
  },
  { kernelName: 'Exp', outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), y!) }) },
  { kernelName: 'Log', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(one(dy), x!) }) },
  {
    kernelName: 'Sigmoid',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(y!, tf.sub(1, y!))) }),
  },
  {
    kernelName: 'Erf',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({
      x: () => tf.mul(one(dy), tf.mul(tf.exp(tf.neg(tf.square(x!))), 2 / Math.sqrt(Math.PI))),
    }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs: Attrs) => ({
      x: () => tf.mul(keepDims(one(dy), x!.shape, attrs.axis), tf.onesLike(x!)),
    }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs: Attrs) => ({
      x: () =>
        tf.mul(
          keepDims(one(dy), x!.shape, attrs.axis),
          tf.fill(x!.shape, 1 / reduceSize(x!.shape, attrs.axis)),
        ),
    }),
  },
  {
    kernelName: 'Max',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs: Attrs) => ({
      x: () => {
        const yk = keepDims(y!, x!.shape, attrs.reductionIndices);
        return tf.mul(
          keepDims(one(dy), x!.shape, attrs.reductionIndices),
          tf.cast(tf.equal(x!, yk), 'float32'),
        );
      },
    }),
  },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(one(dy), x!.shape) }),
  },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _, attrs: Attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(one(dy), inverse) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs: Attrs) => ({
      logits: () => {
        const dim = attrs.dim as number;
        const d = one(dy);
        return tf.mul(y!, tf.sub(d, tf.sum(tf.mul(d, y!), dim, true)));
      },
    }),
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs: Attrs) => ({
      x: () => {
        const [begin, size] = tf.slice_util.parseSliceParams(
          x!,
          attrs.begin as number[],
          attrs.size as number[],
        );
        const pads = x!.shape.map((d, i) => [begin![i]!, d - begin![i]! - size![i]!] as [number, number]);
        return tf.pad(one(dy), pads);
      },
    }),
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _, attrs: Attrs) => ({ x: () => tf.concat(many(dy), attrs.axis as number) }),
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs: Attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
      const parts = tf.split(
        one(dy),
        saved.map((t) => t.shape[axis]!),
        axis,
      );
      return Object.fromEntries(parts.map((p, i) => [i, () => p])) as Grads;
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs: Attrs) => {
      const parts = tf.unstack(one(dy), attrs.axis as number);
      return Object.fromEntries(saved.map((_, i) => [i, () => parts[i]!])) as Grads;
    },
  },
  {
    kernelName: 'Unpack',
    gradFunc: (dy, _, attrs: Attrs) => ({ value: () => tf.stack(many(dy), attrs.axis as number) }),
  },
  {
    // Only the gathered tensor's gradient, for 1-D indices (a scatter-add written as a one-hot matmul).
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, [x, indices], attrs: Attrs) => ({
      x: () => {
        if (indices!.rank !== 1 || (attrs.batchDims as number) !== 0)
          throw new Error('internal: gather gradient supports 1-D indices only');
        const axis = tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0]!;
        const rank = x!.shape.length;
        const perm = [...Array(rank).keys()].filter((i) => i !== axis).concat(axis);
        const moved = tf.transpose(one(dy), perm); // gathered axis last
        const oneHot = tf.oneHot(tf.cast(indices!, 'int32'), x!.shape[axis]!); // [k, n]
        const flat = tf.matMul(tf.reshape(moved, [-1, indices!.shape[0]!]), oneHot);
        const back = tf.reshape(flat, [...moved.shape.slice(0, -1), x!.shape[axis]!]);
        return tf.transpose(
          back,
          perm.map((_, i) => perm.indexOf(i)),
        );
      },
      indices: () => tf.zerosLike(indices!),
    }),
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs: Attrs) => {
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      const d = one(dy);
      const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) => tf.matMul(x, y, tx, ty);
      const da = !tA
        ? !tB
          ? () => mm(d, b!, false, true)
          : () => mm(d, b!, false, false)
        : !tB
          ? () => mm(b!, d, false, true)
          : () => mm(b!, d, true, true);
      const db = !tA
        ? !tB
          ? () => mm(a!, d, true, false)
          : () => mm(d, a!, true, false)
        : !tB
          ? () => mm(a!, d, false, false)
          : () => mm(d, a!, true, true);
      return { a: () => unbroadcast(da(), a!.shape), b: () => unbroadcast(db(), b!.shape) };
    },
  },
];

let registered = false;

/** Registers the gradients above that no one has registered yet. Idempotent. */
export function ensureGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of CONFIGS) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}
