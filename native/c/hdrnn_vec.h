/* hdrnn_vf: a float vector of HDRNN_VF_LANES lanes for the trainer's kernels: 8, or 16
 * in AVX-512 host-tuned builds.
 * - ARM NEON: two float32x4_t through intrinsics. GCC never uses NEON for float
 *   arithmetic by itself on ARMv7 without -funsafe-math-optimizations (NEON flushes
 *   denormals, so it is not IEEE), neither when auto-vectorizing nor for generic vectors.
 * - Elsewhere: GCC/Clang generic vectors, lowered to SSE2, AVX or scalar code.
 * Both sum in the same explicit order, so x86 and ARM results differ only where the
 * hardware rounds differently (fused multiply-add on host-tuned x86 builds). */
#ifndef HDRNN_VEC_H
#define HDRNN_VEC_H

#include <string.h>

#if defined(__ARM_NEON)
#include <arm_neon.h>

typedef struct hdrnn_vf {
    float32x4_t lo, hi;
} hdrnn_vf;

static inline hdrnn_vf vf_load(const float *p)
{
    return (hdrnn_vf){vld1q_f32(p), vld1q_f32(p + 4)};
}

static inline void vf_store(float *p, hdrnn_vf v)
{
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}

static inline hdrnn_vf vf_splat(float x)
{
    return (hdrnn_vf){vdupq_n_f32(x), vdupq_n_f32(x)};
}

/* acc + a * b, product rounded before the sum (ARMv7 VMLA is not fused) */
static inline hdrnn_vf vf_madd(hdrnn_vf acc, hdrnn_vf a, hdrnn_vf b)
{
    return (hdrnn_vf){vmlaq_f32(acc.lo, a.lo, b.lo), vmlaq_f32(acc.hi, a.hi, b.hi)};
}

static inline hdrnn_vf vf_mul(hdrnn_vf a, hdrnn_vf b)
{
    return (hdrnn_vf){vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)};
}

static inline hdrnn_vf vf_sub(hdrnn_vf a, hdrnn_vf b)
{
    return (hdrnn_vf){vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)};
}

/* The first n floats (0 < n < 8) at p, zeros in the other lanes; no access past p + n. */
static inline hdrnn_vf vf_load_part(const float *p, int n)
{
    float t[8] = {0};
    memcpy(t, p, sizeof(float) * (size_t)n);
    return vf_load(t);
}

static inline void vf_store_part(float *p, hdrnn_vf v, int n)
{
    float t[8];
    vf_store(t, v);
    memcpy(p, t, sizeof(float) * (size_t)n);
}


#else
/* 16 lanes where AVX-512 is enabled (host-tuned builds), else 8. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define HDRNN_VF_LANES 16
#else
#define HDRNN_VF_LANES 8
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

#ifndef HDRNN_VF_LANES
#define HDRNN_VF_LANES 8 /* NEON: two float32x4_t */
#endif

/* Pairwise sum of the lanes in a fixed order, the same on every target:
 * ((t0+t4) + (t1+t5)) + ((t2+t6) + (t3+t7)), after folding 16 lanes to 8 (t[i]+t[i+8]).
 * Done with half-vector adds rather than through memory: it ends every dot product. */
static inline float vf_hsum(hdrnn_vf v)
{
#if defined(__ARM_NEON)
    float32x4_t s = vaddq_f32(v.lo, v.hi);
    return (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) +
           (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3));
#else
    typedef float h8 __attribute__((vector_size(32)));
    typedef float h4 __attribute__((vector_size(16)));
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
    h4 s = c + d;
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
