import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { dot, orthonormalAgainst, unit } from '../../../src/interp/linalg';
import {
  cosineGate,
  planeTensors,
  projectOut,
  redirect,
  renormalize,
  rotateAngular,
  rotateSelective,
  selectiveRotation,
} from '../../../src/interp/operators';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { maxAbsDiff, randomArray } from '../../support/steering';

const D = 24;
const b1 = unit(randomArray(D, 3));
const b2 = orthonormalAgainst(randomArray(D, 4), b1);
// [2, 5, D]: activations of several scales, some pointing against b1.
const X = randomArray(2 * 5 * D, 9, 4);

function rowNorms(data: Float32Array): number[] {
  return Array.from({ length: data.length / D }, (_, i) => Math.hypot(...data.subarray(i * D, (i + 1) * D)));
}

function run(f: (x: tf.Tensor) => tf.Tensor): Float32Array {
  return tf.tidy(() => f(tf.tensor3d(X, [2, 5, D])).dataSync() as Float32Array);
}

describe('steering operators', () => {
  beforeAll(() => useBackend('wasm'));

  it('selective rotation preserves every norm to float tolerance', async () => {
    await expectNoLeaks(() => {
      const plane = planeTensors(b1, b2);
      const rot = selectiveRotation(b1, b2, 1.1);
      const out = run((x) => rotateSelective(x, plane, rot));
      rowNorms(out).forEach((n, i) => expect(n).toBeCloseTo(rowNorms(X)[i]!, 4));
      tf.dispose([plane.B, plane.Bt, rot]);
    });
  });

  it('selective rotation by θ = 0 is the identity', () => {
    const plane = planeTensors(b1, b2);
    const rot = selectiveRotation(b1, b2, 0);
    expect(
      maxAbsDiff(
        run((x) => rotateSelective(x, plane, rot)),
        X,
      ),
    ).toBeLessThan(1e-6);
    tf.dispose([plane.B, plane.Bt, rot]);
  });

  it('selective rotation turns the in-plane component by θ and leaves the rest', () => {
    const plane = planeTensors(b1, b2);
    const theta = 0.7;
    const rot = selectiveRotation(b1, b2, theta);
    const out = run((x) => rotateSelective(x, plane, rot));
    const h = X.subarray(0, D);
    const y = out.subarray(0, D);
    const [c1, c2] = [dot(h, b1), dot(h, b2)];
    expect(dot(y, b1)).toBeCloseTo(Math.cos(theta) * c1 - Math.sin(theta) * c2, 4);
    expect(dot(y, b2)).toBeCloseTo(Math.sin(theta) * c1 + Math.cos(theta) * c2, 4);
    const rest = (v: ArrayLike<number>) =>
      Array.from(v, (x, i) => x - dot(v, b1) * b1[i]! - dot(v, b2) * b2[i]!);
    expect(maxAbsDiff(rest(y), rest(h))).toBeLessThan(1e-4);
    tf.dispose([plane.B, plane.Bt, rot]);
  });

  for (const strength of [1, 0.5]) {
    it(`angular steering (strength ${strength}) preserves every norm`, () => {
      const plane = planeTensors(b1, b2);
      const out = run((x) => rotateAngular(x, plane, { theta: 2, adaptive: false, strength }));
      rowNorms(out).forEach((n, i) => expect(n).toBeCloseTo(rowNorms(X)[i]!, 4));
      tf.dispose([plane.B, plane.Bt]);
    });
  }

  it('angular steering puts every activation at angle θ in the plane, keeping ‖Ph‖', () => {
    const plane = planeTensors(b1, b2);
    const theta = 2.5;
    const out = run((x) => rotateAngular(x, plane, { theta, adaptive: false, strength: 1 }));
    for (let i = 0; i < 10; i++) {
      const h = X.subarray(i * D, (i + 1) * D);
      const y = out.subarray(i * D, (i + 1) * D);
      const r = Math.hypot(dot(h, b1), dot(h, b2));
      expect(dot(y, b1)).toBeCloseTo(r * Math.cos(theta), 4);
      expect(dot(y, b2)).toBeCloseTo(r * Math.sin(theta), 4);
    }
    tf.dispose([plane.B, plane.Bt]);
  });

  it('adaptive angular steering leaves activations with h·b1 ≤ 0 untouched', () => {
    const plane = planeTensors(b1, b2);
    const out = run((x) => rotateAngular(x, plane, { theta: 1, adaptive: true, strength: 1 }));
    let untouched = 0;
    for (let i = 0; i < 10; i++) {
      const h = X.subarray(i * D, (i + 1) * D);
      if (dot(h, b1) <= 0) {
        expect(maxAbsDiff(out.subarray(i * D, (i + 1) * D), h)).toBe(0);
        untouched++;
      }
    }
    expect(untouched).toBeGreaterThan(0);
    tf.dispose([plane.B, plane.Bt]);
  });

  it('projectOut removes the component along the direction', () => {
    const u = tf.tensor1d(b1);
    const out = run((x) => projectOut(x, u));
    for (let i = 0; i < 10; i++)
      expect(Math.abs(dot(out.subarray(i * D, (i + 1) * D), b1))).toBeLessThan(1e-5);
    u.dispose();
  });

  it('renormalize rescales each position to the reference norm', () => {
    const out = run((x) => renormalize(tf.add(x, 3), x));
    rowNorms(out).forEach((n, i) => expect(n).toBeCloseTo(rowNorms(X)[i]!, 4));
  });

  it('GUARD-IT redirection preserves the norm and only moves gated rows', () => {
    const shift = tf.tensor1d(Array.from(b1, (x) => 2 * x));
    const out = run((x) => redirect(x, shift));
    rowNorms(out).forEach((n, i) => expect(n).toBeCloseTo(rowNorms(X)[i]!, 4));
    // A gate that fires for no row leaves the activation bit-identical.
    const centroid = tf.tensor1d(b2);
    const gated = run((x) => redirect(x, shift, cosineGate(x, centroid, 2)));
    expect(maxAbsDiff(gated, X)).toBe(0);
    tf.dispose([shift, centroid]);
  });
});
