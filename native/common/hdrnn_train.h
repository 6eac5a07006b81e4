/* The one epoch loop of the native trainers. A trainer supplies its kernels (one SGD
 * step, evaluation, its parameters); everything the contract fixes around them is here:
 * options, data, FPU set-up, the shuffle, prefetching, timing, the JSON events and the
 * weights file. So two native trainers differ only in their kernels. */
#ifndef HDRNN_TRAIN_H
#define HDRNN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_contract.h"
#include "hdrnn_error.h"
#include "hdrnn_idx.h"
#include "hdrnn_opts.h"
#include "hdrnn_prng.h"
#include "hdrnn_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hdrnn_kernels {
    void *ctx;
    /* One SGD step on the training samples idx[0..count), count <= run.max_batch. */
    int (*train_batch)(void *ctx, const hdrnn_split *train, const uint32_t *idx, int count,
                       double lr, hdrnn_error *err);
    /* *correct = argmax hits among test samples [first, first + count), count <=
     * HDRNN_EVAL_CHUNK. */
    int (*evaluate)(void *ctx, const hdrnn_split *test, size_t first, size_t count,
                    size_t *correct, hdrnn_error *err);
    /* Layer l's weight [out][in] and bias [out], contiguous row-major float32: the
     * kernels' live storage, which the loop fills from --weights-in before training. */
    void (*params)(const void *ctx, int layer, const float **weight, const float **bias);
} hdrnn_kernels;

/* Early stopping (--target-accuracy, --patience): the best epoch so far and how many
 * came since; a checkpoint carries them, so a resumed run stops where one run would. */
typedef struct hdrnn_early_stop {
    long long best;      /* correct answers of the best epoch; -1 before the first */
    long long since;     /* epochs since it */
    const char *stopped; /* "target", "patience" or NULL */
} hdrnn_early_stop;

typedef struct hdrnn_run {
    double t_start;                 /* hdrnn_now() at hdrnn_run_start */
    hdrnn_opts opts;
    const char *fpu;                /* denormal handling, for the start event */
    hdrnn_dataset data;
    int sizes[HDRNN_MAX_LAYERS];    /* inputs, hidden..., classes */
    int n_layers;                   /* weight layers */
    int max_batch;                  /* the largest count train_batch is given */
    uint32_t *order;                /* [train.count], the persistent sample order */
    /* stream mode: batches read from the file by the reader, evaluation chunks into
     * chunk_*, handed to the kernels as in-memory splits with the indices iota */
    hdrnn_reader reader;
    uint8_t *chunk_features;        /* [HDRNN_EVAL_CHUNK][row_bytes] */
    uint8_t *chunk_labels;
    uint32_t *iota;                 /* 0, 1, ... max_batch - 1 */
    hdrnn_rng shuffle;              /* the contract's shuffle stream, seed + 1 */
    uint32_t features_crc;          /* checkpoints: CRC-32 of the training features */
    hdrnn_early_stop stop;
} hdrnn_run;

/* Parse argv (with --help: usage printed, opts.help set, nothing loaded), set the FPU up,
 * load the data and make the identity order. allow: HDRNN_ALLOW_* bits. HDRNN_OK or an
 * exit code with err set; hdrnn_run_free in every case. */
int hdrnn_run_start(hdrnn_run *run, const char *prog, int argc, char *const *argv,
                    int allow, hdrnn_error *err);

/* --weights-in, the shuffles of the epochs before --first-epoch, the start event (build
 * info, then extra: JSON members or NULL), every epoch (shuffle, batches, evaluation,
 * epoch event), the weights file, the done event. */
int hdrnn_run_train(hdrnn_run *run, const char *impl, const char *extra,
                    const hdrnn_kernels *k, hdrnn_error *err);

void hdrnn_run_free(hdrnn_run *run);

#ifdef __cplusplus
}
#endif
#endif
