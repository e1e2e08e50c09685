/*
 * Rudder's WebAssembly kernels: attention and the element-wise work of a block, run in place on
 * tfjs-backend-wasm's linear memory (this module imports that memory; every pointer below is an
 * offset into it, computed by src/engine/kernels/native.ts from tfjs's tensor table).
 *
 * Rules that keep sharing the memory safe: no libc, no static data, no arrays on the stack
 * (build-kernels.sh checks that the module has no data segment and never moves the stack
 * pointer), so nothing here ever writes outside the output tensors it is given.
 *
 * Layouts (row-major, batch b, new positions p, heads h, kv heads kh, head width d, keys t):
 *   q [b, p, h, d]   k, v [b, kh, t, d]   mask [1 | b, 1, p, t] (additive) or none
 *   pattern [b, h, p, t]   z [b, p, h, d]
 * Query head i reads kv head i / (h / kh) (grouped-query attention).
 *
 * Matrix products (matmul) read their weights packed once at load (pack_panels): column panels of
 * 8, each [k, 8] contiguous, so that the inner loop streams them. A 4-row by 8-column block of the
 * output stays in registers for the whole reduction. Panels hold float32, or bfloat16 (`half`) when
 * every weight of the matrix is a bfloat16 value (a bfloat16 checkpoint's): the high 16 bits of each
 * float32, the low 16 being zero, so the kernels rebuild every float32 exactly while streaming half
 * the bytes (a decode step is bound by streaming its weights).
 *
 * Rebuild: scripts/build-kernels.sh (Debian's clang-16 and lld-16); it writes kernels-wasm.ts.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* a · b + c, 4 lanes. Built twice (build-kernels.sh): with relaxed SIMD, one fused multiply-add
 * where the processor has one (V8 emits vfmadd on x86 with FMA3), as the matrix products' inner
 * loops are bound by these; without it, a multiply then an add, for engines that lack relaxed SIMD.
 * Each multiply-add then differs at most in its last bit; the engine picks one build (native.ts). */
static inline v128_t madd(v128_t a, v128_t b, v128_t c) {
#ifdef __wasm_relaxed_simd__
  return __builtin_wasm_relaxed_madd_f32x4(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

/* Single-precision exp, 4 lanes: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7
 * polynomial for e^r (Cephes's expf coefficients, ~1 ulp) and 2^n through the exponent bits.
 * Below -87.3 (e^x under the smallest normal float) the result is exactly 0, as a masked
 * attention score must give. */
static inline v128_t exp4(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.0f); /* e^88 < FLT_MAX with n = 127 */
  const v128_t lo = wasm_f32x4_splat(-87.3365478515625f);
  const v128_t underflow = wasm_f32x4_lt(x, lo);
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r);
  p = wasm_f32x4_add(p, wasm_f32x4_splat(1.0f));
  const v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, pow2n), underflow);
}

static inline float exp1(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

/* 1 / (1 + e^-z) */
static inline v128_t sigmoid4(v128_t z) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(z))));
}

static inline float sigmoid1(float z) { return 1.0f / (1.0f + exp1(-z)); }

static inline float hsum(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

static inline float dot(const float *a, const float *b, int n) {
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = madd(wasm_v128_load(a + i), wasm_v128_load(b + i), acc0);
    acc1 = madd(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4), acc1);
  }
  for (; i + 4 <= n; i += 4)
    acc0 = madd(wasm_v128_load(a + i), wasm_v128_load(b + i), acc0);
  float s = hsum(wasm_f32x4_add(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Softmax of one row in place. */
static void softmax_row(float *row, int n) {
  float mx = row[0];
  for (int j = 1; j < n; j++) mx = row[j] > mx ? row[j] : mx;
  const v128_t m4 = wasm_f32x4_splat(mx);
  v128_t sum4 = wasm_f32x4_splat(0.0f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(row + j), m4));
    wasm_v128_store(row + j, e);
    sum4 = wasm_f32x4_add(sum4, e);
  }
  float sum = hsum(sum4);
  for (; j < n; j++) {
    row[j] = exp1(row[j] - mx);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
  const v128_t inv4 = wasm_f32x4_splat(inv);
  for (j = 0; j + 4 <= n; j += 4) wasm_v128_store(row + j, wasm_f32x4_mul(wasm_v128_load(row + j), inv4));
  for (; j < n; j++) row[j] *= inv;
}

/* cap·tanh(s / cap) (Gemma 2's soft-capping), tanh(y) written 1 − 2 / (1 + e^{2y}). */
static inline float softcap1(float s, float cap) { return cap * (1.0f - 2.0f / (1.0f + exp1(2.0f * s / cap))); }

/* pattern = softmax(capped(q kᵀ · scale) + mask) over the keys, for the (batch row, head) pairs
 * r0 ≤ r < r1 (r = bi·h + hi; kernel-threads.ts splits a call's range
 * between threads). With `scores`, the masked scores before the softmax are written there too
 * (hook_attn_scores). softcap 0: none. Keys whose mask entry is −1e9 or below (causal, padding,
 * window) get score s + mask without the dot product: their weight is e^(−1e9) = 0 either way. */
EXPORT(attn_pattern)
void attn_pattern(const float *q, const float *k, const float *mask, float *out, float *scores, int p, int h,
                  int kh, int d, int t, int mask_rows, float scale, float softcap, int r0, int r1) {
  const int group = h / kh;
  for (int r = r0; r < r1; r++) {
    const int bi = r / h, hi = r % h;
    const float *keys = k + (long)(bi * kh + hi / group) * t * d;
    for (int i = 0; i < p; i++) {
      const float *query = q + ((long)(bi * p + i) * h + hi) * d;
      float *row = out + ((long)(bi * h + hi) * p + i) * t;
      const float *m = mask ? mask + ((long)(mask_rows == 1 ? 0 : bi) * p + i) * t : 0;
      for (int j = 0; j < t; j++) {
        if (m && m[j] <= -1e9f) {
          row[j] = m[j];
          continue;
        }
        float s = dot(query, keys + (long)j * d, d) * scale;
        if (softcap != 0.0f) s = softcap1(s, softcap);
        row[j] = m ? s + m[j] : s;
      }
      if (scores) {
        float *sr = scores + ((long)(bi * h + hi) * p + i) * t;
        for (int j = 0; j < t; j++) sr[j] = row[j];
      }
      softmax_row(row, t);
    }
  }
}

/* z[b, i, h] = Σ_j pattern[b, h, i, j] · v[b, h / group, j]: written straight into [b, p, h, d], for
 * the (batch row, head) pairs r0 ≤ r < r1. Keys with zero weight (masked) are skipped. */
EXPORT(attn_mix)
void attn_mix(const float *pattern, const float *v, float *out, int p, int h, int kh, int d, int t, int r0, int r1) {
  const int group = h / kh;
  for (int r = r0; r < r1; r++) {
    const int bi = r / h, hi = r % h;
    const float *values = v + (long)(bi * kh + hi / group) * t * d;
    for (int i = 0; i < p; i++) {
      const float *w = pattern + ((long)(bi * h + hi) * p + i) * t;
      float *z = out + ((long)(bi * p + i) * h + hi) * d;
      int c = 0;
      /* 16 output features at a time stay in registers across all keys. */
      for (; c + 16 <= d; c += 16) {
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < t; j++) {
          if (w[j] == 0.0f) continue;
          const v128_t wj = wasm_f32x4_splat(w[j]);
          const float *vr = values + (long)j * d + c;
          a0 = madd(wj, wasm_v128_load(vr), a0);
          a1 = madd(wj, wasm_v128_load(vr + 4), a1);
          a2 = madd(wj, wasm_v128_load(vr + 8), a2);
          a3 = madd(wj, wasm_v128_load(vr + 12), a3);
        }
        wasm_v128_store(z + c, a0);
        wasm_v128_store(z + c + 4, a1);
        wasm_v128_store(z + c + 8, a2);
        wasm_v128_store(z + c + 12, a3);
      }
      for (; c < d; c++) {
        float s = 0.0f;
        for (int j = 0; j < t; j++) s += w[j] * values[(long)j * d + c];
        z[c] = s;
      }
    }
  }
}

/* LayerNorm (centre = 1: (x − mean) / √(var + eps) · w + bias, var the biased variance around the
 * mean, two passes as tf.moments) or RMSNorm (centre = 0: x / √(mean(x²) + eps) · w) over rows
 * of width d. With `scale`, each row's divisor √(… + eps) is written there too (hook_scale). */
EXPORT(norm)
void norm(const float *x, const float *w, const float *bias, float *out, float *scale, int n, int d, float eps,
          int centre) {
  for (int r = 0; r < n; r++) {
    const float *xr = x + (long)r * d;
    float *o = out + (long)r * d;
    float mean = 0.0f;
    int c = 0;
    if (centre) {
      v128_t s4 = wasm_f32x4_splat(0.0f);
      for (; c + 4 <= d; c += 4) s4 = wasm_f32x4_add(s4, wasm_v128_load(xr + c));
      float sum = hsum(s4);
      for (; c < d; c++) sum += xr[c];
      mean = sum / d;
    }
    const v128_t mean4 = wasm_f32x4_splat(mean);
    v128_t q4 = wasm_f32x4_splat(0.0f);
    for (c = 0; c + 4 <= d; c += 4) {
      const v128_t dx = wasm_f32x4_sub(wasm_v128_load(xr + c), mean4);
      q4 = madd(dx, dx, q4);
    }
    float sq = hsum(q4);
    for (; c < d; c++) sq += (xr[c] - mean) * (xr[c] - mean);
    const float root = __builtin_sqrtf(sq / d + eps);
    if (scale) scale[r] = root;
    const float inv = 1.0f / root;
    const v128_t inv4 = wasm_f32x4_splat(inv);
    for (c = 0; c + 4 <= d; c += 4) {
      const v128_t normed = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), mean4), inv4),
                                           wasm_v128_load(w + c));
      wasm_v128_store(o + c, bias ? wasm_f32x4_add(normed, wasm_v128_load(bias + c)) : normed);
    }
    for (; c < d; c++) o[c] = (xr[c] - mean) * inv * w[c] + (bias ? bias[c] : 0.0f);
  }
}

/* Activations by kind: ACT_GELU_NEW is GPT-2's tanh GELU, 0.5·x·(1 + tanh(u)) = x·sigmoid(2u),
 * u = √(2/π)·(x + 0.044715·x³); ACT_SILU is x·sigmoid(x). */
#define ACT_NONE -1
#define ACT_GELU_NEW 0
#define ACT_SILU 1

static inline v128_t act4(v128_t v, int kind) {
  if (kind == ACT_SILU) return wasm_f32x4_mul(v, sigmoid4(v));
  const v128_t c = wasm_f32x4_splat(0.044715f), k = wasm_f32x4_splat(1.5957691216057308f); /* 2·√(2/π) */
  const v128_t inner = wasm_f32x4_mul(wasm_f32x4_add(v, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(v, v), v), c)), k);
  return wasm_f32x4_mul(v, sigmoid4(inner));
}

static inline float act1(float v, int kind) {
  if (kind == ACT_SILU) return v * sigmoid1(v);
  return v * sigmoid1((v + v * v * v * 0.044715f) * 1.5957691216057308f);
}

/* A matmul's epilogue: the activation (or none) applied to a finished output block while it is
 * still in registers, so that the MLP's input projection never writes its pre-activations. */
static inline v128_t epi4(v128_t v, int act) { return act == ACT_NONE ? v : act4(v, act); }
static inline float epi1(float v, int act) { return act == ACT_NONE ? v : act1(v, act); }

EXPORT(activate)
void activate(const float *x, float *out, int n, int kind) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, act4(wasm_v128_load(x + i), kind));
  for (; i < n; i++) out[i] = act1(x[i], kind);
}

/* Gated MLP on the fused gate|up projection [n, 2m]: act(gate) · up → [n, m] (SwiGLU, GeGLU). */
EXPORT(gated)
void gated(const float *gu, float *out, int n, int m, int kind) {
  for (int r = 0; r < n; r++) {
    const float *g = gu + (long)r * 2 * m, *u = g + m;
    float *o = out + (long)r * m;
    int c = 0;
    for (; c + 4 <= m; c += 4)
      wasm_v128_store(o + c, wasm_f32x4_mul(act4(wasm_v128_load(g + c), kind), wasm_v128_load(u + c)));
    for (; c < m; c++) o[c] = act1(g[c], kind) * u[c];
  }
}

#define INLINE static inline __attribute__((always_inline))
#define PANEL 8

/* Where column j of a panel row sits among its 8 values. float32: in order. bfloat16: columns j and
 * j + 4 share a 32-bit lane (j in its low half), so that a shift and a mask rebuild the row's two
 * float32x4 exactly (a bfloat16 value beside 16 zero bits is its float32). */
INLINE int slot_of(int j, int half) { return half ? (j < 4 ? 2 * j : 2 * (j - 4) + 1) : j; }

/* Row i of a panel [k, 8] as two float32x4: columns 0-3 and 4-7. */
INLINE void panel_row(const void *panel, long i, int half, v128_t *lo, v128_t *hi) {
  if (half) {
    const v128_t h = wasm_v128_load((const unsigned short *)panel + i * PANEL);
    *lo = wasm_i32x4_shl(h, 16);
    *hi = wasm_v128_and(h, wasm_i32x4_splat((int)0xffff0000));
  } else {
    *lo = wasm_v128_load((const float *)panel + i * PANEL);
    *hi = wasm_v128_load((const float *)panel + i * PANEL + 4);
  }
}

/* Row i, column j of a panel, as float32. */
INLINE float panel_at(const void *panel, long i, int j, int half) {
  if (!half) return ((const float *)panel)[i * PANEL + j];
  const unsigned bits = (unsigned)((const unsigned short *)panel)[i * PANEL + slot_of(j, 1)] << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

/* Where panel p of a matrix with kstride rows starts. */
INLINE const void *panel_of(const void *packed, long p, int kstride, int half) {
  return (const char *)packed + p * kstride * PANEL * (half ? 2 : 4);
}

/* A 4 × 8 block of C = act(A[4, 0:k] · panel[0:k, 0:8] (+ bias[0:8])), kept in registers for the
 * whole reduction; rows of A and C lda and ldc apart. */
INLINE void block_4x8(const float *a, int lda, const void *panel, int half, const float *bias, float *c, int ldc, int k,
                      int act) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const v128_t init0 = bias ? wasm_v128_load(bias) : zero, init1 = bias ? wasm_v128_load(bias + 4) : zero;
  v128_t c00 = init0, c01 = init1, c10 = init0, c11 = init1, c20 = init0, c21 = init1, c30 = init0, c31 = init1;
  for (int i = 0; i < k; i++) {
    v128_t b0, b1;
    panel_row(panel, i, half, &b0, &b1);
    v128_t x = wasm_v128_load32_splat(a + i);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = wasm_v128_load32_splat(a + lda + i);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = wasm_v128_load32_splat(a + 2 * lda + i);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = wasm_v128_load32_splat(a + 3 * lda + i);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
  }
  wasm_v128_store(c, epi4(c00, act));
  wasm_v128_store(c + 4, epi4(c01, act));
  wasm_v128_store(c + ldc, epi4(c10, act));
  wasm_v128_store(c + ldc + 4, epi4(c11, act));
  wasm_v128_store(c + 2 * ldc, epi4(c20, act));
  wasm_v128_store(c + 2 * ldc + 4, epi4(c21, act));
  wasm_v128_store(c + 3 * ldc, epi4(c30, act));
  wasm_v128_store(c + 3 * ldc + 4, epi4(c31, act));
}

/* block_4x8 on rows packed by pack_rows: A's 4 values of step i are ap[4i .. 4i+3], so each is a
 * load at a constant offset (the unpacked rows cost an address computation each, per step: this
 * is 5-13% faster in V8). A near-copy on purpose: one block_4x8 taking the row and step strides
 * (1 and 4 here), even always inlined, measured no faster than the unpacked rows. */
INLINE void block_4x8_packed(const float *ap, const void *panel, int half, const float *bias, float *c, int ldc, int k,
                             int act) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const v128_t init0 = bias ? wasm_v128_load(bias) : zero, init1 = bias ? wasm_v128_load(bias + 4) : zero;
  v128_t c00 = init0, c01 = init1, c10 = init0, c11 = init1, c20 = init0, c21 = init1, c30 = init0, c31 = init1;
  for (int i = 0; i < k; i++, ap += 4) {
    v128_t b0, b1;
    panel_row(panel, i, half, &b0, &b1);
    v128_t x = wasm_v128_load32_splat(ap);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = wasm_v128_load32_splat(ap + 1);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = wasm_v128_load32_splat(ap + 2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = wasm_v128_load32_splat(ap + 3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
  }
  wasm_v128_store(c, epi4(c00, act));
  wasm_v128_store(c + 4, epi4(c01, act));
  wasm_v128_store(c + ldc, epi4(c10, act));
  wasm_v128_store(c + ldc + 4, epi4(c11, act));
  wasm_v128_store(c + 2 * ldc, epi4(c20, act));
  wasm_v128_store(c + 2 * ldc + 4, epi4(c21, act));
  wasm_v128_store(c + 3 * ldc, epi4(c30, act));
  wasm_v128_store(c + 3 * ldc + 4, epi4(c31, act));
}

/* out[r] = Σ_h x[r, h] (+ bias): x [rows, h, n] → [rows, n]. */
EXPORT(sum_heads)
void sum_heads(const float *x, const float *bias, float *out, int rows, int h, int n) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * h * n;
    float *o = out + (long)r * n;
    int c = 0;
    for (; c + 4 <= n; c += 4) {
      v128_t s = wasm_v128_load(xr + c);
      for (int hi = 1; hi < h; hi++) s = wasm_f32x4_add(s, wasm_v128_load(xr + (long)hi * n + c));
      if (bias) s = wasm_f32x4_add(s, wasm_v128_load(bias + c));
      wasm_v128_store(o + c, s);
    }
    for (; c < n; c++) {
      float s = xr[c];
      for (int hi = 1; hi < h; hi++) s += xr[(long)hi * n + c];
      o[c] = bias ? s + bias[c] : s;
    }
  }
}

/* Packs w [k, n] into panels: out[(p·k + i)·8 + j] = w[i, 8p + j] (zero past column n); with
 * `half`, out holds 16-bit values, each weight's high half (exact when the weight is a bfloat16), at
 * slot_of(j). With `transposed`, w holds the matrix's transpose [n, k] (a tied unembedding packed
 * straight from the embedding, with no transposed copy). */
EXPORT(pack_panels)
void pack_panels(const float *w, void *out, int k, int n, int half, int transposed) {
  const int panels = (n + PANEL - 1) / PANEL;
  for (int p = 0; p < panels; p++)
    for (int i = 0; i < k; i++)
      for (int j = 0; j < PANEL; j++) {
        const int col = p * PANEL + j;
        const long from = transposed ? (long)col * k + i : (long)i * n + col;
        const float v = col < n ? w[from] : 0.0f;
        const long at = ((long)p * k + i) * PANEL + slot_of(j, half);
        if (!half) {
          ((float *)out)[at] = v;
          continue;
        }
        unsigned bits;
        __builtin_memcpy(&bits, &v, 4);
        ((unsigned short *)out)[at] = (unsigned short)(bits >> 16);
      }
}

/* The inverse of pack_panels: w [k, n] from its panels. */
EXPORT(unpack_panels)
void unpack_panels(const void *packed, float *w, int k, int n, int half) {
  for (int i = 0; i < k; i++)
    for (int col = 0; col < n; col++)
      w[(long)i * n + col] = panel_at(panel_of(packed, col / PANEL, k, half), i, col % PANEL, half);
}

/* Columns ids[0..t) of w [k, n] from its panels, as rows: out [t, k] (a tied unembedding's
 * embedding rows). The caller has checked 0 ≤ ids[r] < n. */
EXPORT(panel_columns)
void panel_columns(const void *packed, const int *ids, float *out, int t, int k, int half) {
  for (int r = 0; r < t; r++) {
    const void *panel = panel_of(packed, ids[r] / PANEL, k, half);
    for (int i = 0; i < k; i++) out[(long)r * k + i] = panel_at(panel, i, ids[r] % PANEL, half);
  }
}

/* rows × 8 block of C = act(A · panel (+ bias)), rows ≤ 4; A rows lda apart, C rows ldc apart. */
INLINE void panel_rows(const float *a, int lda, const void *panel, int half, const float *bias, float *c, int ldc, int k,
                       int rows, int act) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const v128_t init0 = bias ? wasm_v128_load(bias) : zero, init1 = bias ? wasm_v128_load(bias + 4) : zero;
  if (rows == 4) {
    block_4x8(a, lda, panel, half, bias, c, ldc, k, act);
    return;
  }
  /* Fewer than 4 rows (a decode step has 1): two accumulator pairs, even and odd k, so that the
   * adds do not wait on each other; the row streams its panel from memory. */
  for (int r = 0; r < rows; r++) {
    const float *ar = a + (long)r * lda;
    v128_t c0 = init0, c1 = init1, d0 = zero, d1 = zero, b0, b1;
    int i = 0;
    for (; i + 2 <= k; i += 2) {
      const v128_t x = wasm_v128_load32_splat(ar + i), y = wasm_v128_load32_splat(ar + i + 1);
      panel_row(panel, i, half, &b0, &b1);
      c0 = madd(x, b0, c0);
      c1 = madd(x, b1, c1);
      panel_row(panel, i + 1, half, &b0, &b1);
      d0 = madd(y, b0, d0);
      d1 = madd(y, b1, d1);
    }
    if (i < k) {
      const v128_t x = wasm_v128_load32_splat(ar + i);
      panel_row(panel, i, half, &b0, &b1);
      c0 = madd(x, b0, c0);
      c1 = madd(x, b1, c1);
    }
    wasm_v128_store(c + (long)r * ldc, epi4(wasm_f32x4_add(c0, d0), act));
    wasm_v128_store(c + (long)r * ldc + 4, epi4(wasm_f32x4_add(c1, d1), act));
  }
}

/* C [m, n] = act(A [m, k] · W (+ bias [n])) for W packed by pack_panels, or for k consecutive rows of
 * one: panel p starts at packed + p·kstride·8 (kstride: the packed matrix's row count). A rows lda
 * apart, C rows ldc apart; ap, if not null, holds A's full 4-row blocks packed by pack_rows (the
 * rows past the last full block are read from A). Panels p0 ≤ p < p1 only (a range that
 * kernel-threads.ts splits between threads). A panel (k × 8 weights) is reused by every row block
 * while cached. Always inlined: each caller passes `half` as a constant, so the float32 and the
 * bfloat16 loops are compiled separately, with no test inside them. */
INLINE void packed_gemm(const float *a, int lda, const float *ap, const void *packed, int half, int kstride,
                        const float *bias, float *c, int ldc, int m, int k, int n, int p0, int p1, int act) {
  const int full = n / PANEL;
  for (int p = p0; p < p1; p++) {
    const void *panel = panel_of(packed, p, kstride, half);
    if (p < full) {
      const float *pb = bias ? bias + p * PANEL : 0;
      for (int r = 0; r < m; r += 4) {
        float *cr = c + (long)r * ldc + p * PANEL;
        if (ap && m - r >= 4)
          block_4x8_packed(ap + (long)r * k, panel, half, pb, cr, ldc, k, act);
        else
          panel_rows(a + (long)r * lda, lda, panel, half, pb, cr, ldc, k, m - r < 4 ? m - r : 4, act);
      }
      continue;
    }
    /* The last, partial panel: its padding columns are never stored. */
    for (int r = 0; r < m; r++)
      for (int j = p * PANEL; j < n; j++) {
        float s = bias ? bias[j] : 0.0f;
        for (int i = 0; i < k; i++) s += a[(long)r * lda + i] * panel_at(panel, i, j - p * PANEL, half);
        c[(long)r * ldc + j] = epi1(s, act);
      }
  }
}

/* A's full 4-row blocks interleaved for block_4x8_packed: out[(r0/4)·k·4 + 4i + j] = A[r0 + j, i] for
 * each block starting at row r0 (out holds ⌊m/4⌋·4·k floats). */
EXPORT(pack_rows)
void pack_rows(const float *a, float *out, int m, int k) {
  for (int r0 = 0; r0 + 4 <= m; r0 += 4)
    for (int i = 0; i < k; i++)
      for (int j = 0; j < 4; j++) out[(long)r0 * k + i * 4 + j] = a[(long)(r0 + j) * k + i];
}

/* C [m, n] = act(A [m, k] · W (+ bias [n])), W [k, n] packed by pack_panels (bfloat16 if half); ap:
 * A's row blocks packed by pack_rows, or null; panels p0 ≤ p < p1; act: ACT_NONE, or the MLP's
 * activation fused into the input projection. */
EXPORT(matmul)
void matmul(const float *a, const float *ap, const void *packed, const float *bias, float *c, int m, int k, int n,
            int p0, int p1, int act, int half) {
  if (half)
    packed_gemm(a, k, ap, packed, 1, k, bias, c, n, m, k, n, p0, p1, act);
  else
    packed_gemm(a, k, ap, packed, 0, k, bias, c, n, m, k, n, p0, p1, act);
}

/* The logit lens's statistics of each row r0 <= r < r1 of logits x [rows, v], in one pass over the
 * vocabulary after its max: out[r] = (m, z, s, g) with m = max x, z = sum e, s = sum e x for
 * e = exp(x - m), and g = sum pf (xf - x) against the model's own final logits xf [pos, v] and
 * probabilities pf at the row's position r mod pos. The lens derives its normaliser, entropy and
 * KL from these (lens.ts), without the [rows, v] exponentials tfjs would hold. */
EXPORT(lens_stats)
void lens_stats(const float *x, const float *xf, const float *pf, float *out, int pos, int v, int r0, int r1) {
  const int v4 = v & ~3;
  for (int r = r0; r < r1; r++) {
    const float *row = x + (long)r * v, *f = xf + (long)(r % pos) * v, *p = pf + (long)(r % pos) * v;
    v128_t mv = wasm_f32x4_splat(-__builtin_inff());
    for (int j = 0; j < v4; j += 4) mv = wasm_f32x4_pmax(mv, wasm_v128_load(row + j));
    mv = wasm_f32x4_pmax(mv, wasm_i32x4_shuffle(mv, mv, 2, 3, 0, 1));
    mv = wasm_f32x4_pmax(mv, wasm_i32x4_shuffle(mv, mv, 1, 0, 3, 2));
    float m = wasm_f32x4_extract_lane(mv, 0);
    for (int j = v4; j < v; j++) m = row[j] > m ? row[j] : m;
    const v128_t msplat = wasm_f32x4_splat(m);
    v128_t z = wasm_f32x4_splat(0.0f), sv = z, g = z;
    for (int j = 0; j < v4; j += 4) {
      const v128_t xv = wasm_v128_load(row + j);
      const v128_t e = exp4(wasm_f32x4_sub(xv, msplat));
      z = wasm_f32x4_add(z, e);
      sv = madd(e, xv, sv);
      g = madd(wasm_v128_load(p + j), wasm_f32x4_sub(wasm_v128_load(f + j), xv), g);
    }
    float zs = hsum(z), ss = hsum(sv), gs = hsum(g);
    for (int j = v4; j < v; j++) {
      const float e = exp1(row[j] - m);
      zs += e;
      ss += e * row[j];
      gs += p[j] * (f[j] - row[j]);
    }
    float *o = out + (long)r * 4;
    o[0] = m;
    o[1] = zs;
    o[2] = ss;
    o[3] = gs;
  }
}

/* Each head's share of the attention output, before the heads are summed (hook_result):
 * result[r, h] = z[r, h] · W_O[h·d .. (h+1)·d], z [rows, h, d], W_O [h·d, n] packed by pack_panels
 * → result [rows, h, n]; heads h0 ≤ hi < h1 only. A head's rows of W_O are d consecutive rows of
 * every panel. */
EXPORT(head_results)
void head_results(const float *z, const void *packed, float *out, int rows, int h, int d, int n, int h0, int h1,
                  int half) {
  const int panels = (n + PANEL - 1) / PANEL;
  for (int hi = h0; hi < h1; hi++) {
    /* Head hi's rows of W_O start at row hi·d of every panel. */
    const void *first = (const char *)packed + (long)hi * d * PANEL * (half ? 2 : 4);
    if (half)
      packed_gemm(z + (long)hi * d, h * d, 0, first, 1, h * d, 0, out + (long)hi * n, h * n, rows, d, n, 0, panels,
                  ACT_NONE);
    else
      packed_gemm(z + (long)hi * d, h * d, 0, first, 0, h * d, 0, out + (long)hi * n, h * n, rows, d, n, 0, panels,
                  ACT_NONE);
  }
}
