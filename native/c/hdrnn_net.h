/* The HDR-NN in C: sigmoid MLP, quadratic cost, mini-batch SGD, float32.
 * A batch is a small row-major matrix: activations [B][n], weights [out][in]. */
#ifndef HDRNN_NET_H
#define HDRNN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_contract.h"
#include "hdrnn_idx.h"
#include "hdrnn_pixels.h"

typedef struct hdrnn_net {
    int n_layers;                          /* weight layers */
    int sizes[HDRNN_MAX_LAYERS];           /* inputs, hidden..., classes */
    int max_batch;
    float *w[HDRNN_MAX_LAYERS - 1];        /* [out][in] */
    float *b[HDRNN_MAX_LAYERS - 1];        /* [out] */
    float *act[HDRNN_MAX_LAYERS];          /* [max_batch][sizes[l]]; act[0] is the input */
    float *delta[2];                       /* [max_batch][max width], ping-pong */
    hdrnn_pixel_scaler pixels;
    /* Where the first layer's update waits for the next batch's forward pass, which
     * applies it in the same pass over the weights (ARMv7 builds, hdrnn_net.c): the
     * batch's size (0: nothing waits), step, inputs and deltas, and the partial sums
     * of the fused pass. hdrnn_net_sync applies a waiting update alone. */
    int pending;
    float pending_step;
    float *pending_a;                      /* [max_batch][sizes[0]] */
    float *pending_d;                      /* [max_batch][sizes[1]] */
    float *part;                           /* [sizes[1], even][max_batch, 5s][4] */
} hdrnn_net;

/* NULL when out of memory. Weights come from the contract's init stream. */
hdrnn_net *hdrnn_net_create(const int *sizes, int n_layers, int max_batch, uint64_t seed);
void hdrnn_net_free(hdrnn_net *net);

/* One SGD step on the samples idx[k] of train (k < count <= max_batch). */
void hdrnn_net_train_batch(hdrnn_net *net, const hdrnn_split *train, const uint32_t *idx,
                           int count, double lr);

/* Number of correct argmax predictions over the test samples [first, first + n). */
size_t hdrnn_net_evaluate(hdrnn_net *net, const hdrnn_split *test, size_t first, size_t n);

/* Apply a first-layer update that waits for the next batch (before the weights are
 * read: evaluation, checkpoints, the weights file). */
void hdrnn_net_sync(hdrnn_net *net);

#endif
