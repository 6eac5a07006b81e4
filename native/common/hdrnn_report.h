/* The contract's JSON-lines output, the monotonic clock, and the FPU set-up. */
#ifndef HDRNN_REPORT_H
#define HDRNN_REPORT_H

#include <stddef.h>

#include "hdrnn_opts.h"

#ifdef __cplusplus
extern "C" {
#endif

double hdrnn_now(void); /* seconds, CLOCK_MONOTONIC */

/* extra: a JSON fragment such as "\"compiler\":\"gcc 12\"" appended to the start event,
 * or NULL. */
void hdrnn_emit_start(const char *impl, const hdrnn_opts *opts, long params, size_t train,
                      size_t test, const char *extra);
void hdrnn_emit_epoch(int epoch, size_t correct, size_t total, double train_s,
                      double eval_s);
void hdrnn_emit_done(double seconds);

/* Flush denormals to zero where the platform allows (x86 SSE MXCSR FTZ/DAZ, ARM FPSCR
 * FZ; ARMv7 NEON always flushes). Saturated sigmoids produce denormal gradients, which
 * cost ~100 cycles each on x86. Returns a short description for the start event. */
const char *hdrnn_fpu_flush_denormals(void);

/* Compiler and target, for the start event (build info). */
const char *hdrnn_build_info(void);

#ifdef __cplusplus
}
#endif
#endif
