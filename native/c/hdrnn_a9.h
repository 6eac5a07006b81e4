/* Hand-scheduled ARMv7 NEON micro-kernels for the Cortex-A9 (i.MX6Q): the two loops that
 * hold ~90 % of hdrnn-c's instructions. GCC keeps neither block of accumulators in the 16
 * quad registers (it spills two in the forward loop and rebuilds pointers in the update
 * loop), so these are written in assembly. They compute exactly what the portable
 * kernels of hdrnn_net.c compute, in the same order: the x86 and ARM builds stay
 * bitwise alike (docs/trainers.md). */
#ifndef HDRNN_A9_H
#define HDRNN_A9_H

#if defined(__arm__) && defined(__ARM_NEON) && !defined(HDRNN_NO_ASM)
#define HDRNN_A9 1

/* acc[r][j][lane] = sum over s < steps of w_r[4 s + lane] * x[j][4 s + lane], s in order,
 * each product rounded, then added (VMLA), onto acc's own values when add is non-zero
 * (a dot product in consecutive pieces), else from zero. w0, w1 and x[j]: 4 * steps
 * floats each. ahead: bytes from the rows to the lines to prefetch (a line of each row
 * per pair of steps), 0 for none. */
void hdrnn_a9_dot_2x5(const float *w0, const float *w1, const float *const x[5], int steps,
                      float acc[2][5][4], int add, int ahead);
/* The update of `tiles` (>= 1) tiles of 4 weight rows x 12 inputs, side by side:
 *   g[r][c] = a[0][c] * d[0][r] + a[1][c] * d[1][r] + ... (k < count, in order)
 *   w[r][c] = w[r][c] - step * g[r][c]
 * a [count][a_stride] (from the first tile's first input), d [count][d_stride] (from its
 * first row), w [4][w_stride] (from its first weight); strides in floats, count >= 1.
 * prefetch: a PLD of each row's next 12 weights per tile (0 where something else has
 * brought them to the L1). */
void hdrnn_a9_update_4x12(const float *a, int a_stride, const float *d, int d_stride,
                          int count, float *w, int w_stride, float step, int tiles,
                          int prefetch);
#endif

#endif
