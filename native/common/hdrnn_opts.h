/* The contract's command line (docs/contract.md), parsed strictly: any bad value is
 * exit 2. */
#ifndef HDRNN_OPTS_H
#define HDRNN_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_contract.h"
#include "hdrnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hdrnn_opts {
    const char *data;
    int hidden[HDRNN_MAX_HIDDEN];
    int n_hidden;
    int epochs;
    int batch;
    double lr;
    uint64_t seed;
    size_t train_limit; /* 0: all */
    size_t test_limit;  /* 0: all */
    const char *weights_out;
    const char *weights_in; /* NULL: the PRNG init */
    int first_epoch;        /* the shuffle stream's epoch this run trains first */
    const char *checkpoint; /* written every epoch (and every checkpoint_every batches) */
    int checkpoint_every;   /* 0: at epoch ends only */
    const char *resume_from; /* a checkpoint of this same run to continue from */
    int classes;            /* 0: from the labels */
    double target_accuracy; /* stop once an epoch's test accuracy reaches it; 0: never */
    int patience;           /* stop after this many epochs without a better one; 0: never */
    int stream;             /* --data-mode stream: features read per batch, not held */
    int quiet;
    int threads; /* only with HDRNN_ALLOW_THREADS; else 1 */
    int help;
} hdrnn_opts;

/* What a trainer supports beyond the common options (bits of `allow`). */
#define HDRNN_ALLOW_THREADS 1 /* --threads N */
#define HDRNN_ALLOW_STREAM 2  /* --data-mode stream */

/* Parse argv into opts (defaults: the thesis' settings). Returns HDRNN_OK or
 * HDRNN_EXIT_USAGE with err set. */
int hdrnn_opts_parse(hdrnn_opts *opts, int argc, char *const *argv, int allow,
                     hdrnn_error *err);
void hdrnn_opts_usage(const char *prog, int allow);

#ifdef __cplusplus
}
#endif
#endif
