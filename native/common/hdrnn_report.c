#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "hdrnn_report.h"

double hdrnn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Shortest %g that reads back to the same double, as Python's repr does. */
static void fmt_double(char *out, size_t size, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", size - strlen(out) - 1);
}

void hdrnn_emit_start(const char *impl, const hdrnn_opts *o, long params, size_t train,
                      size_t test, const char *extra)
{
    char lr[32], hidden[128] = "";
    size_t n = 0;
    fmt_double(lr, sizeof lr, o->lr);
    for (int i = 0; i < o->n_hidden; i++)
        n += (size_t)snprintf(hidden + n, sizeof hidden - n, "%s%d", i ? "," : "",
                              o->hidden[i]);
    printf("{\"event\":\"start\",\"impl\":\"%s\",\"hidden\":[%s],\"params\":%ld,"
           "\"train\":%zu,\"test\":%zu,\"epochs\":%d,\"batch\":%d,\"lr\":%s,"
           "\"seed\":%llu%s%s}\n",
           impl, hidden, params, train, test, o->epochs, o->batch, lr,
           (unsigned long long)o->seed, extra ? "," : "", extra ? extra : "");
    fflush(stdout);
}

void hdrnn_emit_epoch(int epoch, size_t correct, size_t total, double train_s, double eval_s)
{
    char acc[32];
    fmt_double(acc, sizeof acc, (double)correct / (double)total);
    printf("{\"event\":\"epoch\",\"epoch\":%d,\"correct\":%zu,\"total\":%zu,"
           "\"accuracy\":%s,\"train_s\":%.6f,\"eval_s\":%.6f}\n",
           epoch, correct, total, acc, train_s, eval_s);
    fflush(stdout);
}

void hdrnn_emit_done(double seconds)
{
    printf("{\"event\":\"done\",\"seconds\":%.6f}\n", seconds);
    fflush(stdout);
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
    snprintf(info, sizeof info, "\"compiler\":\"clang %s\",\"arch\":\"%s\",\"simd\":\"%s\"",
             __clang_version__, arch, simd);
#elif defined(__GNUC__)
    snprintf(info, sizeof info, "\"compiler\":\"gcc %d.%d.%d\",\"arch\":\"%s\",\"simd\":\"%s\"",
             __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__, arch, simd);
#else
    snprintf(info, sizeof info, "\"compiler\":\"unknown\",\"arch\":\"%s\",\"simd\":\"%s\"",
             arch, simd);
#endif
    return info;
}
