/* Pixel scaling for hdrnn-c. The quotient p / 255 must be the correctly rounded float
 * (the contract), so that every build and every trainer sees the same inputs:
 * - ARMv7 NEON has no division, but p / 255 is p's 8 bits repeated forever after the
 *   binary point: the 32-bit fixed-point value p * 0x01010101 plus a sticky 1 (the tail
 *   beyond bit 32 is not zero), converted with VCVT's round-to-nearest, is the correctly
 *   rounded quotient (1.6 instructions a pixel; checked for all 256 values at start-up,
 *   with a table of the quotients, folded by the compiler, as the fallback and for the
 *   last pixels);
 * - AVX-512: a division costs ~10x a multiply, so a multiply plus an FMA correction,
 *   verified at start-up to equal the division for all 256 values;
 * - elsewhere the division itself, which the compiler vectorizes. */
#include "hdrnn_pixels.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#define Q(p) ((float)(p) / 255.0f)
#define Q4(p) Q(p), Q(p + 1), Q(p + 2), Q(p + 3)
#define Q16(p) Q4(p), Q4(p + 4), Q4(p + 8), Q4(p + 12)
#define Q64(p) Q16(p), Q16(p + 16), Q16(p + 32), Q16(p + 48)
static const float quotient[256] = {Q64(0), Q64(64), Q64(128), Q64(192)};
#elif defined(__AVX512F__)
#include <immintrin.h>
#endif

#if defined(__ARM_NEON)
/* 8 pixels at a time; returns how many were done. Saturating add: 255 gives
 * 0xffffffff + 1, which must stay 0xffffffff (1 - 2^-32, rounded to 1.0f). */
static size_t scale_fixed(const uint8_t *restrict img, float *restrict x, size_t n)
{
    const uint32_t k = 0x01010101u;
    const uint32x4_t one = vdupq_n_u32(1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* the line 8 ahead that the stores will fill: on the A9 a store that misses the
         * L1 waits for the line like a load (write-allocate) */
        __builtin_prefetch(x + i + 64, 1);
        const uint16x8_t p = vmovl_u8(vld1_u8(img + i));
        uint32x4_t lo = vmovl_u16(vget_low_u16(p)), hi = vmovl_u16(vget_high_u16(p));
        lo = vqaddq_u32(vmulq_n_u32(lo, k), vminq_u32(lo, one));
        hi = vqaddq_u32(vmulq_n_u32(hi, k), vminq_u32(hi, one));
        vst1q_f32(x + i, vcvtq_n_f32_u32(lo, 32));
        vst1q_f32(x + i + 4, vcvtq_n_f32_u32(hi, 32));
    }
    return i;
}
#else
static void divide(const uint8_t *restrict img, float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) /* vectorizes; IEEE division, exact */
        x[i] = (float)img[i] / 255.0f;
}
#endif

#if defined(__AVX512F__)
/* q = p * (1/255) is off by at most an ulp; the residual e = p - 255 q is exact in one
 * FMA, and q + e * (1/255) rounds to the correctly rounded quotient (checked for all
 * 256 values in hdrnn_pixel_scaler_init). 16 pixels at a time. */
static size_t scale_fma(const uint8_t *restrict img, float *restrict x, size_t n)
{
    const __m512 r = _mm512_set1_ps(1.0f / 255.0f), c = _mm512_set1_ps(255.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 p = _mm512_cvtepi32_ps(
            _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(img + i))));
        __m512 q = _mm512_mul_ps(p, r);
        _mm512_storeu_ps(x + i, _mm512_fmadd_ps(_mm512_fnmadd_ps(q, c, p), r, q));
    }
    return i;
}
#endif

void hdrnn_pixel_scaler_init(hdrnn_pixel_scaler *s)
{
    s->fma_exact = 0;
    s->fixed_exact = 0;
#if defined(__ARM_NEON)
    uint8_t img[256];
    float fast[256];
    for (int p = 0; p < 256; p++)
        img[p] = (uint8_t)p;
    scale_fixed(img, fast, 256);
    s->fixed_exact = 1;
    for (int p = 0; p < 256; p++)
        s->fixed_exact &= fast[p] == quotient[p];
#endif
#if defined(__AVX512F__)
    uint8_t img[256];
    float fast[256], exact[256];
    for (int p = 0; p < 256; p++)
        img[p] = (uint8_t)p;
    scale_fma(img, fast, 256);
    divide(img, exact, 256);
    s->fma_exact = 1;
    for (int p = 0; p < 256; p++)
        s->fma_exact &= fast[p] == exact[p];
#endif
}

void hdrnn_scale_pixels(const hdrnn_pixel_scaler *s, const uint8_t *restrict img,
                        float *restrict x, size_t n)
{
#if defined(__ARM_NEON)
    for (size_t i = s->fixed_exact ? scale_fixed(img, x, n) : 0; i < n; i++)
        x[i] = quotient[img[i]];
#else
    size_t done = 0;
#if defined(__AVX512F__)
    if (s->fma_exact)
        done = scale_fma(img, x, n);
#else
    (void)s;
#endif
    divide(img + done, x + done, n - done);
#endif
}
