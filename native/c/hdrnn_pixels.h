/* The contract's pixel scaling, (float)p / 255.0f, as fast as each ISA allows while
 * giving exactly the correctly rounded quotients. */
#ifndef HDRNN_PIXELS_H
#define HDRNN_PIXELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct hdrnn_pixel_scaler {
    int fma_exact;   /* AVX-512: the FMA form checked against the division for all 256 p */
    int fixed_exact; /* NEON: the fixed-point form checked against the table, likewise */
} hdrnn_pixel_scaler;

void hdrnn_pixel_scaler_init(hdrnn_pixel_scaler *s);

/* x[i] = (float)img[i] / 255.0f for i < n. */
void hdrnn_scale_pixels(const hdrnn_pixel_scaler *s, const uint8_t *restrict img,
                        float *restrict x, size_t n);

#endif
