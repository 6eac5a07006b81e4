/* An 8-lane float vector (16 lanes with AVX-512) for the trainer's kernels.
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

typedef struct hdrnn_v8 {
    float32x4_t lo, hi;
} hdrnn_v8;

static inline hdrnn_v8 v8_load(const float *p)
{
    return (hdrnn_v8){vld1q_f32(p), vld1q_f32(p + 4)};
}

static inline void v8_store(float *p, hdrnn_v8 v)
{
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}

static inline hdrnn_v8 v8_splat(float x)
{
    return (hdrnn_v8){vdupq_n_f32(x), vdupq_n_f32(x)};
}

/* acc + a * b, product rounded before the sum (ARMv7 VMLA is not fused) */
static inline hdrnn_v8 v8_madd(hdrnn_v8 acc, hdrnn_v8 a, hdrnn_v8 b)
{
    return (hdrnn_v8){vmlaq_f32(acc.lo, a.lo, b.lo), vmlaq_f32(acc.hi, a.hi, b.hi)};
}

static inline hdrnn_v8 v8_mul(hdrnn_v8 a, hdrnn_v8 b)
{
    return (hdrnn_v8){vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)};
}

static inline hdrnn_v8 v8_sub(hdrnn_v8 a, hdrnn_v8 b)
{
    return (hdrnn_v8){vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)};
}

/* The first n floats (0 < n < 8) at p, zeros in the other lanes; no access past p + n. */
static inline hdrnn_v8 v8_load_part(const float *p, int n)
{
    float t[8] = {0};
    memcpy(t, p, sizeof(float) * (size_t)n);
    return v8_load(t);
}

static inline void v8_store_part(float *p, hdrnn_v8 v, int n)
{
    float t[8];
    v8_store(t, v);
    memcpy(p, t, sizeof(float) * (size_t)n);
}


#else
/* 16 lanes where AVX-512 is enabled (host-tuned builds), else 8. The name stays v8. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define HDRNN_VEC_LANES 16
#else
#define HDRNN_VEC_LANES 8
#endif
typedef float hdrnn_v8 __attribute__((vector_size(4 * HDRNN_VEC_LANES)));

static inline hdrnn_v8 v8_load(const float *p)
{
    hdrnn_v8 v;
    memcpy(&v, p, sizeof v); /* unaligned load */
    return v;
}

static inline void v8_store(float *p, hdrnn_v8 v)
{
    memcpy(p, &v, sizeof v);
}

static inline hdrnn_v8 v8_splat(float x)
{
    return x - (hdrnn_v8){0}; /* scalar-vector arithmetic broadcasts x to every lane */
}

static inline hdrnn_v8 v8_madd(hdrnn_v8 acc, hdrnn_v8 a, hdrnn_v8 b)
{
    return acc + a * b;
}

static inline hdrnn_v8 v8_mul(hdrnn_v8 a, hdrnn_v8 b)
{
    return a * b;
}

static inline hdrnn_v8 v8_sub(hdrnn_v8 a, hdrnn_v8 b)
{
    return a - b;
}

/* The first n floats (0 < n < lanes) at p, zeros in the other lanes; no access past
 * p + n (AVX-512: one masked load or store). */
static inline hdrnn_v8 v8_load_part(const float *p, int n)
{
#if defined(__AVX512F__)
    return (hdrnn_v8)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#else
    hdrnn_v8 v = {0};
    memcpy(&v, p, sizeof(float) * (size_t)n);
    return v;
#endif
}

static inline void v8_store_part(float *p, hdrnn_v8 v, int n)
{
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#else
    memcpy(p, &v, sizeof(float) * (size_t)n);
#endif
}

#endif

#ifndef HDRNN_VEC_LANES
#define HDRNN_VEC_LANES 8
#endif
#define HDRNN_LANES HDRNN_VEC_LANES

/* Pairwise sum of the lanes in a fixed order, the same on every target:
 * ((t0+t4) + (t1+t5)) + ((t2+t6) + (t3+t7)), after folding 16 lanes to 8 (t[i]+t[i+8]).
 * Done with half-vector adds rather than through memory: it ends every dot product. */
static inline float v8_hsum(hdrnn_v8 v)
{
#if defined(__ARM_NEON)
    float32x4_t s = vaddq_f32(v.lo, v.hi);
    return (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) +
           (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3));
#else
    typedef float h8 __attribute__((vector_size(32)));
    typedef float h4 __attribute__((vector_size(16)));
    h8 s8;
#if HDRNN_LANES == 16
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

#endif
