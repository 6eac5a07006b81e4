/* MNIST IDX files with the contract's validation. Images stay uint8. */
#ifndef HDRNN_IDX_H
#define HDRNN_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hdrnn_split {
    uint8_t *images; /* [count][width] */
    uint8_t *labels; /* [count], each below HDRNN_CLASSES */
    size_t count;
    int width;       /* inputs per sample: rows x cols of the IDX images */
} hdrnn_split;

typedef struct hdrnn_dataset {
    hdrnn_split train;
    hdrnn_split test;
} hdrnn_dataset;

/* Load the four standard files of dir; a limit of 0 means all samples. Only the first
 * `limit` images are read into memory, but every file is checked whole. Returns
 * HDRNN_OK, HDRNN_EXIT_DATA or HDRNN_EXIT_RESOURCE with err set. */
int hdrnn_dataset_load(hdrnn_dataset *ds, const char *dir, size_t train_limit,
                       size_t test_limit, hdrnn_error *err);
void hdrnn_dataset_free(hdrnn_dataset *ds);

/* Ask the cache for the images idx[k], k < count (the next batch): the training order is
 * random, so without this each image is a trip to DRAM when its batch starts. The hint
 * asks for L2, not L1: the batch in flight streams the weights through L1 and would
 * evict the prefetched lines before use (measured: pixel conversion 2x faster). */
void hdrnn_prefetch_images(const hdrnn_split *split, const uint32_t *idx, size_t count);

#ifdef __cplusplus
}
#endif
#endif
