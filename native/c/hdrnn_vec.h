/* hdrnn_vf: a float vector of HDRNN_VF_LANES lanes for the trainer's kernels: one
 * hardware register. 4 lanes on the Cortex-A9 (NEON quad register) and in portable x86
 * builds (SSE2); 8 with AVX and 16 with AVX-512 (host-tuned builds).
 * - ARM NEON: float32x4_t through intrinsics. GCC never uses NEON for float arithmetic
 *   by itself on ARMv7 without -funsafe-math-optimizations (NEON flushes denormals, so it
 *   is not IEEE), neither when auto-vectorizing nor for generic vectors.
 * - Elsewhere: GCC/Clang generic vectors, lowered to SSE2, AVX or scalar code.
 * Both sum in the same explicit order with the same width, so the portable x86 build and
 * the ARM build produce bitwise-equal weights; host-tuned builds differ in width and
 * fuse multiply-adds. */
#ifndef HDRNN_VEC_H
#define HDRNN_VEC_H

#include <string.h>

#if defined(__ARM_NEON)
#include <arm_neon.h>
#define HDRNN_VF_LANES 4
typedef float32x4_t hdrnn_vf;

static inline hdrnn_vf vf_load(const float *p)
{
    return vld1q_f32(p);
}

static inline void vf_store(float *p, hdrnn_vf v)
{
    vst1q_f32(p, v);
}

static inline hdrnn_vf vf_splat(float x)
{
    return vdupq_n_f32(x);
}

/* acc + a * b, product rounded before the sum (ARMv7 VMLA is not fused) */
static inline hdrnn_vf vf_madd(hdrnn_vf acc, hdrnn_vf a, hdrnn_vf b)
{
    return vmlaq_f32(acc, a, b);
}

static inline hdrnn_vf vf_mul(hdrnn_vf a, hdrnn_vf b)
{
    return vmulq_f32(a, b);
}

/* w - a * b, product rounded before the difference (VMLS, not fused) */
static inline hdrnn_vf vf_msub(hdrnn_vf w, hdrnn_vf a, hdrnn_vf b)
{
    return vmlsq_f32(w, a, b);
}

static inline hdrnn_vf vf_sub(hdrnn_vf a, hdrnn_vf b)
{
    return vsubq_f32(a, b);
}

/* The first n floats (0 < n < 4) at p, zeros in the other lanes; no access past p + n. */
static inline hdrnn_vf vf_load_part(const float *p, int n)
{
    float t[4] = {0};
    memcpy(t, p, sizeof(float) * (size_t)n);
    return vld1q_f32(t);
}

static inline void vf_store_part(float *p, hdrnn_vf v, int n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, sizeof(float) * (size_t)n);
}

#else
#if defined(__AVX512F__)
#include <immintrin.h>
#define HDRNN_VF_LANES 16
#elif defined(__AVX__)
#define HDRNN_VF_LANES 8
#else
#define HDRNN_VF_LANES 4 /* SSE2 (x86-64's baseline), or scalar code elsewhere */
#endif
typedef float hdrnn_vf __attribute__((vector_size(4 * HDRNN_VF_LANES)));

static inline hdrnn_vf vf_load(const float *p)
{
    hdrnn_vf v;
    memcpy(&v, p, sizeof v); /* unaligned load */
    return v;
}

static inline void vf_store(float *p, hdrnn_vf v)
{
    memcpy(p, &v, sizeof v);
}

static inline hdrnn_vf vf_splat(float x)
{
    return x - (hdrnn_vf){0}; /* scalar-vector arithmetic broadcasts x to every lane */
}

static inline hdrnn_vf vf_madd(hdrnn_vf acc, hdrnn_vf a, hdrnn_vf b)
{
    return acc + a * b;
}

static inline hdrnn_vf vf_mul(hdrnn_vf a, hdrnn_vf b)
{
    return a * b;
}

static inline hdrnn_vf vf_msub(hdrnn_vf w, hdrnn_vf a, hdrnn_vf b)
{
    return w - a * b;
}

static inline hdrnn_vf vf_sub(hdrnn_vf a, hdrnn_vf b)
{
    return a - b;
}

/* The first n floats (0 < n < lanes) at p, zeros in the other lanes; no access past
 * p + n (AVX-512: one masked load or store). */
static inline hdrnn_vf vf_load_part(const float *p, int n)
{
#if defined(__AVX512F__)
    return (hdrnn_vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#else
    hdrnn_vf v = {0};
    memcpy(&v, p, sizeof(float) * (size_t)n);
    return v;
#endif
}

static inline void vf_store_part(float *p, hdrnn_vf v, int n)
{
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#else
    memcpy(p, &v, sizeof(float) * (size_t)n);
#endif
}

#endif

/* Four scalars for vf_madd4: the d[k][o0..o0+3] of a 4-row outer-product step. On NEON
 * one quad register, whose lanes the multiply-accumulate reads directly (VMLA by scalar:
 * no broadcast instructions); elsewhere four floats, broadcast as they are used. */
#if defined(__ARM_NEON)
typedef float32x4_t hdrnn_s4;

static inline hdrnn_s4 vf_load4(const float *p)
{
    return vld1q_f32(p);
}

/* g[r] = a * s[r] for r < 4 (the first products of a sum) */
static inline void vf_mul4(hdrnn_vf g[4], hdrnn_vf a, hdrnn_s4 s)
{
    g[0] = vmulq_lane_f32(a, vget_low_f32(s), 0);
    g[1] = vmulq_lane_f32(a, vget_low_f32(s), 1);
    g[2] = vmulq_lane_f32(a, vget_high_f32(s), 0);
    g[3] = vmulq_lane_f32(a, vget_high_f32(s), 1);
}

/* g[r] = g[r] + a * s[r] for r < 4 (the same products and sums as vf_madd) */
static inline void vf_madd4(hdrnn_vf g[4], hdrnn_vf a, hdrnn_s4 s)
{
    g[0] = vmlaq_lane_f32(g[0], a, vget_low_f32(s), 0);
    g[1] = vmlaq_lane_f32(g[1], a, vget_low_f32(s), 1);
    g[2] = vmlaq_lane_f32(g[2], a, vget_high_f32(s), 0);
    g[3] = vmlaq_lane_f32(g[3], a, vget_high_f32(s), 1);
}
#else
typedef struct hdrnn_s4 {
    float v[4];
} hdrnn_s4;

static inline hdrnn_s4 vf_load4(const float *p)
{
    hdrnn_s4 s;
    memcpy(s.v, p, sizeof s.v);
    return s;
}

static inline void vf_mul4(hdrnn_vf g[4], hdrnn_vf a, hdrnn_s4 s)
{
    for (int r = 0; r < 4; r++)
        g[r] = vf_mul(a, vf_splat(s.v[r]));
}

static inline void vf_madd4(hdrnn_vf g[4], hdrnn_vf a, hdrnn_s4 s)
{
    for (int r = 0; r < 4; r++)
        g[r] = vf_madd(g[r], a, vf_splat(s.v[r]));
}
#endif

/* Pairwise sum of the lanes in a fixed order, the same on every target: wider vectors
 * are folded in halves down to 4 lanes (t[i] + t[i + half]), then (t0 + t1) + (t2 + t3).
 * Done with half-vector adds rather than through memory: it ends every dot product. */
static inline float vf_hsum(hdrnn_vf v)
{
#if defined(__ARM_NEON)
    return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1)) +
           (vgetq_lane_f32(v, 2) + vgetq_lane_f32(v, 3));
#else
    typedef float h4 __attribute__((vector_size(16)));
    h4 s;
#if HDRNN_VF_LANES == 4
    s = v;
#else
    typedef float h8 __attribute__((vector_size(32)));
    h8 s8;
#if HDRNN_VF_LANES == 16
    h8 a, b;
    memcpy(&a, &v, sizeof a);
    memcpy(&b, (const char *)&v + sizeof a, sizeof b);
    s8 = a + b;
#else
    memcpy(&s8, &v, sizeof s8);
#endif
    h4 c, d;
    memcpy(&c, &s8, sizeof c);
    memcpy(&d, (const char *)&s8 + sizeof c, sizeof d);
    s = c + d;
#endif
    return (s[0] + s[1]) + (s[2] + s[3]);
#endif
}

#if defined(__AVX512F__)
/* [sum(a), sum(b), sum(c), sum(d)] of four 16-lane vectors in 14 instructions, where
 * four separate reductions take about 40 (the forward pass ends 1,280 dot products per
 * batch this way at 784-128-10). Each sum is added in vf_hsum's order. */
static inline __m128 vf_hsum4(hdrnn_vf a, hdrnn_vf b, hdrnn_vf c, hdrnn_vf d)
{
    /* 128-bit blocks [a0+a2, a1+a3, b0+b2, b1+b3], then [a, b, c, d] 4 partials each */
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4((__m512)a, (__m512)b, 0x44),
                              _mm512_shuffle_f32x4((__m512)a, (__m512)b, 0xEE));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4((__m512)c, (__m512)d, 0x44),
                              _mm512_shuffle_f32x4((__m512)c, (__m512)d, 0xEE));
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88),
                             _mm512_shuffle_f32x4(ab, cd, 0xDD));
    q = _mm512_add_ps(q, _mm512_shuffle_ps(q, q, _MM_SHUFFLE(2, 3, 0, 1)));
    q = _mm512_add_ps(q, _mm512_shuffle_ps(q, q, _MM_SHUFFLE(1, 0, 3, 2)));
    /* every lane of block i now holds sum i: take lane 0 of each block */
    const __m512i first_lanes = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(first_lanes, q));
}
#endif

#endif
