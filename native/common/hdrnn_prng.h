/* SplitMix64 and the contract's normals, initial weights and per-epoch shuffle. */
#ifndef HDRNN_PRNG_H
#define HDRNN_PRNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hdrnn_rng {
    uint64_t state; /* seed + n * golden after n outputs */
} hdrnn_rng;

void hdrnn_rng_init(hdrnn_rng *rng, uint64_t seed);
uint64_t hdrnn_rng_next(hdrnn_rng *rng);
/* Box-Muller on two consecutive outputs, in double precision. */
double hdrnn_rng_normal(hdrnn_rng *rng);

/* Fill the parameters of a network with layer sizes sizes[0..n_layers] (inputs,
 * hidden..., classes) from the init stream: for each layer W [out][in] row-major, then b [out]. */
void hdrnn_init_params(uint64_t seed, const int *sizes, int n_layers, float *const *weights,
                       float *const *biases);

/* One epoch of the contract's Fisher-Yates over order[0..n-1], in place. */
void hdrnn_shuffle(hdrnn_rng *rng, uint32_t *order, size_t n);

#ifdef __cplusplus
}
#endif
#endif
