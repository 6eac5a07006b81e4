/* What differs between the platforms a trainer runs on: the monotonic clock, the FPU's
 * denormal mode, the build description and aligned memory for the SIMD kernels. */
#ifndef HDRNN_PLATFORM_H
#define HDRNN_PLATFORM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

double hdrnn_now(void); /* seconds, CLOCK_MONOTONIC */

/* Flush denormals to zero where the platform allows (x86 SSE MXCSR FTZ/DAZ, ARM FPSCR
 * FZ; ARMv7 NEON always flushes). Saturated sigmoids produce denormal gradients, which
 * cost ~100 cycles each on x86. Returns a short description for the start event. */
const char *hdrnn_fpu_flush_denormals(void);

/* Compiler, architecture and SIMD level as JSON members for the start event. */
const char *hdrnn_build_info(void);

/* 64-byte aligned memory for float arrays; NULL on failure. Free with hdrnn_free. */
void *hdrnn_alloc(size_t bytes);
void hdrnn_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
