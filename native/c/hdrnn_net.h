/* The HDR-NN in plain C: sigmoid MLP, quadratic cost, mini-batch SGD, float32.
 * A batch is a small row-major matrix: activations [B][n], weights [out][in]. */
#ifndef HDRNN_NET_H
#define HDRNN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "hdrnn_opts.h"

typedef struct hdrnn_net {
    int n_layers;                          /* weight layers */
    int sizes[HDRNN_MAX_HIDDEN + 2];       /* 784, hidden..., 10 */
    int max_batch;
    float *w[HDRNN_MAX_HIDDEN + 1];        /* [out][in] */
    float *b[HDRNN_MAX_HIDDEN + 1];        /* [out] */
    float *act[HDRNN_MAX_HIDDEN + 2];      /* [max_batch][sizes[l]]; act[0] is the input */
    float *delta[2];                       /* [max_batch][max width], ping-pong */
} hdrnn_net;

/* NULL when out of memory. Weights come from the contract's init stream. */
hdrnn_net *hdrnn_net_create(const int *sizes, int n_layers, int max_batch, uint64_t seed);
void hdrnn_net_free(hdrnn_net *net);

/* One SGD step on the samples images[idx[k]] (k < count <= max_batch). */
void hdrnn_net_train_batch(hdrnn_net *net, const uint8_t *images, const uint8_t *labels,
                           const uint32_t *idx, int count, double lr);

/* Number of correct argmax predictions over n samples. */
size_t hdrnn_net_evaluate(hdrnn_net *net, const uint8_t *images, const uint8_t *labels,
                          size_t n);

#endif
