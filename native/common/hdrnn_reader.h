/* Stream mode's reader: the training order is read from the features file in blocks of
 * whole batches (HDRNN_READER_BYTES at most, at least one batch); while the kernels
 * train on one block, a second thread reads the next (double buffering), so the pread
 * calls overlap the arithmetic and the threads meet once a block, not once a batch (a
 * hand-over per batch of 10 cost more than the reads). Only with more than one CPU
 * online: on one CPU the thread would only add context switches, and each block is read
 * in line instead. */
#ifndef HDRNN_READER_H
#define HDRNN_READER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hdrnn_error.h"
#include "hdrnn_idx.h"

#define HDRNN_READER_BYTES (256 * 1024) /* per block buffer; two of them */

typedef struct hdrnn_reader {
    const hdrnn_split *src;
    size_t block;           /* samples per block: whole batches */
    uint8_t *features[2];   /* [block][row_bytes] each */
    uint8_t *labels[2];     /* [block] each */
    int threaded;           /* 0: hdrnn_reader_take reads in line */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit, pending, ready; /* under mu */
    const uint32_t *idx;    /* the request: idx[0..count) into slot */
    size_t count;
    int slot;
    hdrnn_split out;        /* the result, with rc and err */
    int rc;
    hdrnn_error err;
} hdrnn_reader;

/* Blocks of whole batches of `batch` samples. HDRNN_OK or HDRNN_EXIT_RESOURCE with err
 * set; hdrnn_reader_free in every case. */
int hdrnn_reader_create(hdrnn_reader *r, const hdrnn_split *src, size_t batch,
                        hdrnn_error *err);
void hdrnn_reader_free(hdrnn_reader *r);

/* Ask for the samples idx[0..count) (count <= r->block; idx must stay valid until they
 * are taken). One request at a time; the two buffers alternate. */
void hdrnn_reader_post(hdrnn_reader *r, const uint32_t *idx, size_t count);

/* *batch = the samples of the last post, as an in-memory split (indices 0..count). */
int hdrnn_reader_take(hdrnn_reader *r, hdrnn_split *batch, hdrnn_error *err);

#endif
