/**
 * The activation fingerprint in a share link (METHODS.md §16): which activations were read (seed,
 * directions, layers, positions), the author's backend, and the values, packed 3 bytes each as
 * base64url so that 96 values cost 384 characters. The field is optional: a link without it
 * replays as before; `v` versions the packing, so a later one can change it without breaking these.
 *
 * Packing of one value x = ±m·10^(e−3) (significant.ts): byte 0 = sign bit · 128 + (e + 64),
 * bytes 1-2 = m (big-endian; 0 for zero). Non-finite values cannot be packed (a broken run has no
 * fingerprint to share).
 */

import { type Fingerprint, fromSignificant4, significant4 } from '../interp';
import { z } from './zod';

/** Bounds that keep a link's fingerprint small: at most 16 layers × 16 positions × 16 directions. */
export const FINGERPRINT_LIMITS = { layers: 16, positions: 16, k: 16 } as const;

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

export const FingerprintSchema = z
  .object({
    v: z.literal(1),
    seed: z.number().int().min(0).max(4294967295),
    k: z.number().int().min(1).max(FINGERPRINT_LIMITS.k),
    layers: z.array(z.number().int().min(0).max(1024)).min(1).max(FINGERPRINT_LIMITS.layers),
    positions: z.number().int().min(1).max(FINGERPRINT_LIMITS.positions),
    /** The backend the author's run used (tfjs name: webgpu, wasm, cpu, webgl). */
    backend: z.string().regex(/^[a-z0-9-]{1,20}$/),
    values: base64url,
  })
  .superRefine((f, ctx) => {
    const want = 4 * f.layers.length * f.positions * f.k;
    if (f.values.length !== want)
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `must hold ${want / 4} packed values (${want} characters, got ${f.values.length})`,
      });
  });

export type FingerprintField = z.infer<typeof FingerprintSchema>;

/** Rounded float32 values → 4 base64url characters each. */
export function packFingerprint(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x))
      throw new RangeError(`Fingerprint value ${i} is ${x}; only finite values can be shared.`);
    const s = significant4(x);
    if (s.exponent < -64 || s.exponent > 63) throw new RangeError(`Fingerprint value ${x} is out of range.`);
    bytes[3 * i] = (s.negative ? 128 : 0) | (s.exponent + 64);
    bytes[3 * i + 1] = s.mantissa >> 8;
    bytes[3 * i + 2] = s.mantissa & 0xff;
  }
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_');
}

/** The values of a packed string (checked by FingerprintSchema first). */
export function unpackFingerprint(text: string): Float32Array {
  const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Float32Array(raw.length / 3);
  for (let i = 0; i < out.length; i++) {
    const b0 = raw.charCodeAt(3 * i);
    const mantissa = (raw.charCodeAt(3 * i + 1) << 8) | raw.charCodeAt(3 * i + 2);
    out[i] = fromSignificant4({ negative: b0 >= 128, exponent: (b0 & 127) - 64, mantissa });
  }
  return out;
}

/** A fingerprint as the link carries it. */
export function fingerprintField(fp: Fingerprint, backend: string): FingerprintField {
  const { seed, k, layers, positions } = fp.spec;
  return FingerprintSchema.parse({
    v: 1,
    seed,
    k,
    layers: [...layers],
    positions,
    backend,
    values: packFingerprint(fp.values),
  });
}

/** The fingerprint a link carries, and the backend it was made on. */
export function fingerprintFromField(f: FingerprintField): { fingerprint: Fingerprint; backend: string } {
  const { seed, k, layers, positions } = f;
  return {
    fingerprint: { spec: { seed, k, layers, positions }, values: unpackFingerprint(f.values) },
    backend: f.backend,
  };
}
