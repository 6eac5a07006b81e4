#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "hdrnn_platform.h"

double hdrnn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *hdrnn_fpu_flush_denormals(void)
{
#if defined(__SSE__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
    return "mxcsr-ftz-daz";
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
    return "fpcr-fz";
#elif defined(__arm__) && defined(__ARM_FP)
    unsigned int fpscr;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(fpscr));
    __asm__ volatile("vmsr fpscr, %0" : : "r"(fpscr | (1u << 24)));
    return "fpscr-fz";
#else
    return "none";
#endif
}

const char *hdrnn_build_info(void)
{
    static char info[256];
    const char *arch =
#if defined(__x86_64__)
        "x86_64"
#elif defined(__aarch64__)
        "aarch64"
#elif defined(__arm__)
        "arm"
#else
        "unknown"
#endif
        ;
    const char *simd =
#if defined(__AVX512F__)
        "avx512f"
#elif defined(__AVX2__) && defined(__FMA__)
        "avx2+fma"
#elif defined(__AVX__)
        "avx"
#elif defined(__ARM_NEON)
        "neon"
#elif defined(__SSE2__)
        "sse2"
#else
        "scalar"
#endif
        ;
#if defined(__clang__)
    snprintf(info, sizeof info,
             "\"hdrnn\":\"%s\",\"build\":\"%s\",\"compiler\":\"clang %s\",\"arch\":\"%s\",\"simd\":\"%s\"",
             HDRNN_VERSION, HDRNN_BUILD, __clang_version__, arch, simd);
#elif defined(__GNUC__)
    snprintf(info, sizeof info,
             "\"hdrnn\":\"%s\",\"build\":\"%s\",\"compiler\":\"gcc %d.%d.%d\",\"arch\":\"%s\",\"simd\":\"%s\"",
             HDRNN_VERSION, HDRNN_BUILD, __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__, arch, simd);
#else
    snprintf(info, sizeof info,
             "\"hdrnn\":\"%s\",\"build\":\"%s\",\"compiler\":\"unknown\",\"arch\":\"%s\",\"simd\":\"%s\"",
             HDRNN_VERSION, HDRNN_BUILD, arch, simd);
#endif
    return info;
}

void *hdrnn_alloc(size_t bytes)
{
    void *p = NULL;
    /* 64 bytes: a cache line, and enough for any SIMD width we use */
    if (posix_memalign(&p, 64, bytes ? bytes : 1) != 0)
        return NULL;
    return p;
}

void hdrnn_free(void *p)
{
    free(p);
}
