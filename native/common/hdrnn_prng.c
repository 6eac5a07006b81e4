#include <math.h>

#include "hdrnn_prng.h"

#define HDRNN_GOLDEN 0x9E3779B97F4A7C15ULL

void hdrnn_rng_init(hdrnn_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t hdrnn_rng_next(hdrnn_rng *rng)
{
    uint64_t z = (rng->state += HDRNN_GOLDEN);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double hdrnn_rng_normal(hdrnn_rng *rng)
{
    const double two_m53 = 1.0 / 9007199254740992.0; /* 2^-53 */
    const double two_pi = 6.283185307179586;         /* 2 * M_PI, as float64 */
    uint64_t a = hdrnn_rng_next(rng);
    uint64_t b = hdrnn_rng_next(rng);
    double u1 = (double)((a >> 11) + 1) * two_m53;
    double u2 = (double)(b >> 11) * two_m53;
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

void hdrnn_init_params(uint64_t seed, const int *sizes, int n_layers, float *const *weights,
                       float *const *biases)
{
    hdrnn_rng rng;
    hdrnn_rng_init(&rng, seed);
    for (int l = 0; l < n_layers; l++) {
        size_t nw = (size_t)sizes[l + 1] * (size_t)sizes[l];
        for (size_t i = 0; i < nw; i++)
            weights[l][i] = (float)hdrnn_rng_normal(&rng);
        for (int o = 0; o < sizes[l + 1]; o++)
            biases[l][o] = (float)hdrnn_rng_normal(&rng);
    }
}

void hdrnn_shuffle(hdrnn_rng *rng, uint32_t *order, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(hdrnn_rng_next(rng) % (uint64_t)(i + 1));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
