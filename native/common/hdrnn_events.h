/* The contract's JSON-lines output on stdout: start, epoch and done events. */
#ifndef HDRNN_EVENTS_H
#define HDRNN_EVENTS_H

#include <stddef.h>

#include "hdrnn_opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sizes: the layer sizes, inputs to classes (n_layers + 1); extra: JSON members such as
 * "\"compiler\":\"gcc 12\"" appended to the start event, or NULL. */
void hdrnn_emit_start(const char *impl, const hdrnn_opts *opts, const int *sizes,
                      int n_layers, size_t train, size_t test, const char *extra);
void hdrnn_emit_epoch(int epoch, size_t correct, size_t total, double train_s,
                      double eval_s);
/* stopped: why training ended before --epochs ("target", "patience"), or NULL */
void hdrnn_emit_done(double seconds, const char *stopped);

#ifdef __cplusplus
}
#endif
#endif
