/* Data sets as four IDX files, with the contract's validation (docs/data.md). Features
 * are uint8 (IDX type 0x08: images, scaled by 1/255 in the kernels) or float32 (0x0D,
 * big endian in the file, native once read, used as they are); the input width is the
 * product of the feature dimensions, the class count the labels' largest + 1 unless
 * given. In stream mode the features stay in their files and batches are read with
 * pread; labels are always in memory (one byte a sample). */
#ifndef HDRNN_IDX_H
#define HDRNN_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hdrnn_dtype { HDRNN_DTYPE_U8 = 0x08, HDRNN_DTYPE_F32 = 0x0D } hdrnn_dtype;

typedef struct hdrnn_split {
    uint8_t *features;  /* [count][row_bytes] in memory; NULL in stream mode */
    uint8_t *labels;    /* [count], each below the data set's classes */
    size_t count;
    int width;          /* inputs per sample */
    hdrnn_dtype dtype;
    size_t row_bytes;   /* width x 1 (U8) or width x 4 (F32, native endian) */
    int fd;             /* stream mode: the features file, open; else -1 */
    long long offset;   /* stream mode: the file offset of sample 0 */
    char *path;         /* the features file, for messages */
} hdrnn_split;

typedef struct hdrnn_dataset {
    hdrnn_split train;
    hdrnn_split test;
    int classes;
    int stream;
} hdrnn_dataset;

/* Load the four standard files of dir; a limit of 0 means all samples; classes 0 takes
 * the class count from the labels (at least 2). Every file is checked whole (sizes,
 * labels, float32 values finite) whatever the limits; in memory mode only the first
 * `limit` samples are kept, in stream mode none. Returns HDRNN_OK, HDRNN_EXIT_DATA or
 * HDRNN_EXIT_RESOURCE with err set. */
int hdrnn_dataset_load(hdrnn_dataset *ds, const char *dir, size_t train_limit,
                       size_t test_limit, int classes, int stream, hdrnn_error *err);
void hdrnn_dataset_free(hdrnn_dataset *ds);

/* Stream mode (s loaded with stream): *out = an in-memory split of the samples idx[k]
 * (first + k without idx), k < count, their features read from the file into features
 * (count x row_bytes) and labels into labels: how the epoch loop hands a stream-mode
 * batch to the kernels. HDRNN_OK or HDRNN_EXIT_DATA (a read error: the file changed
 * under the run) with err set. */
int hdrnn_split_gather(const hdrnn_split *s, const uint32_t *idx, size_t first, size_t count,
                       uint8_t *features, uint8_t *labels, hdrnn_split *out,
                       hdrnn_error *err);

/* *crc = CRC-32 (zlib's) of the s->count samples' features as the file stores them
 * (bytes, or big-endian float32), read from the file in stream mode: what a checkpoint
 * names its training features by. HDRNN_OK or HDRNN_EXIT_DATA with err set. */
int hdrnn_split_crc32(const hdrnn_split *s, uint32_t *crc, hdrnn_error *err);

/* Ask the cache for the features of idx[k], k < count (the next batch): the training
 * order is random, so without this each sample is a trip to DRAM when its batch starts.
 * The hint asks for L2, not L1: the batch in flight streams the weights through L1 and
 * would evict the prefetched lines before use (measured: pixel conversion 2x faster).
 * Nothing in stream mode. */
void hdrnn_prefetch_samples(const hdrnn_split *split, const uint32_t *idx, size_t count);

#ifdef __cplusplus
}
#endif
#endif
