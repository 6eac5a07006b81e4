/* ARMv7 NEON micro-kernels (see hdrnn_a9.h). Register use is spelled out because the
 * point is that nothing spills: q0-q15 are all the NEON register file has. */
#include "hdrnn_a9.h"

#include <stddef.h>

#if defined(HDRNN_A9)

/* Two steps at once: each load fills two quad registers (8 floats), so a pair of steps
 * takes 2 + 5 loads for 20 VMLAs. A line of each row per pair: with ahead, a PLD per
 * row asks for the line `ahead` bytes on (the rows' own lines, 8 ahead, where they
 * stream from the L2; the next rows' where these are in the L1 already), so the in-order
 * NEON pipeline does not wait for them; ahead 0 skips the PLDs (2 of 9 instructions).
 * q10/q11: row 0, steps s and s + 1; q12/q13: row 1; q14/q15: the sample's inputs.
 * Each accumulator adds step s before step s + 1. */
#define DOT_X2(X, A0, A1)                                                                 \
    "vld1.32 {d28-d31}, [%[" X "]]!\n\t"                                                  \
    "vmla.f32 " A0 ", q14, q10\n\t"                                                      \
    "vmla.f32 " A1 ", q14, q12\n\t"                                                      \
    "vmla.f32 " A0 ", q15, q11\n\t"                                                      \
    "vmla.f32 " A1 ", q15, q13\n\t"
#define DOT_PAIR_PLD                                                                      \
    "pld [%[w0], %[ahead]]\n\t"                                                          \
    "pld [%[w1], %[ahead]]\n\t"                                                          \
    DOT_PAIR
#define DOT_PAIR                                                                          \
    "vld1.32 {d20-d23}, [%[w0]]!\n\t"                                                     \
    "vld1.32 {d24-d27}, [%[w1]]!\n\t"                                                     \
    DOT_X2("x0", "q0", "q5") DOT_X2("x1", "q1", "q6") DOT_X2("x2", "q2", "q7")             \
    DOT_X2("x3", "q3", "q8") DOT_X2("x4", "q4", "q9")
/* One step, for an odd count */
#define DOT_X1(X, A0, A1)                                                                 \
    "vld1.32 {d28-d29}, [%[" X "]]!\n\t"                                                  \
    "vmla.f32 " A0 ", q14, q10\n\t"                                                      \
    "vmla.f32 " A1 ", q14, q12\n\t"
#define DOT_STEP                                                                          \
    "vld1.32 {d20-d21}, [%[w0]]!\n\t"                                                     \
    "vld1.32 {d24-d25}, [%[w1]]!\n\t"                                                     \
    DOT_X1("x0", "q0", "q5") DOT_X1("x1", "q1", "q6") DOT_X1("x2", "q2", "q7")             \
    DOT_X1("x3", "q3", "q8") DOT_X1("x4", "q4", "q9")

void hdrnn_a9_dot_2x5(const float *w0, const float *w1, const float *const x[5], int steps,
                      float acc[2][5][4], int add, int ahead)
{
    const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4];
    /* q0-q4: row 0 x samples 0-4, q5-q9: row 1; acc is [r][j], so q0..q9 in order */
    __asm__ volatile(
        "cmp %[add], #0\n\t"
        "beq 4f\n\t"
        "vld1.32 {d0-d3}, [%[acc]]!\n\t" /* go on from the sums in acc */
        "vld1.32 {d4-d7}, [%[acc]]!\n\t"
        "vld1.32 {d8-d11}, [%[acc]]!\n\t"
        "vld1.32 {d12-d15}, [%[acc]]!\n\t"
        "vld1.32 {d16-d19}, [%[acc]]\n\t"
        "sub %[acc], %[acc], #128\n\t"
        "b 5f\n\t"
        "4:\n\t"
        "vmov.i32 q0, #0\n\t"
        "vmov.i32 q1, #0\n\t"
        "vmov.i32 q2, #0\n\t"
        "vmov.i32 q3, #0\n\t"
        "vmov.i32 q4, #0\n\t"
        "vmov.i32 q5, #0\n\t"
        "vmov.i32 q6, #0\n\t"
        "vmov.i32 q7, #0\n\t"
        "vmov.i32 q8, #0\n\t"
        "vmov.i32 q9, #0\n\t"
        "5:\n\t"
        "lsrs %[n], %[n], #1\n\t" /* pairs of steps; carry = an odd one first */
        "bcc 2f\n\t"
        DOT_STEP
        "2:\n\t"
        "cmp %[n], #0\n\t"
        "beq 3f\n\t"
        "cmp %[ahead], #0\n\t"
        "beq 6f\n\t"
        "1:\n\t"
        DOT_PAIR_PLD
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "b 3f\n\t"
        "6:\n\t"
        DOT_PAIR
        "subs %[n], %[n], #1\n\t"
        "bne 6b\n\t"
        "3:\n\t"
        "vst1.32 {d0-d3}, [%[acc]]!\n\t"
        "vst1.32 {d4-d7}, [%[acc]]!\n\t"
        "vst1.32 {d8-d11}, [%[acc]]!\n\t"
        "vst1.32 {d12-d15}, [%[acc]]!\n\t"
        "vst1.32 {d16-d19}, [%[acc]]\n\t"
        : [w0] "+r"(w0), [w1] "+r"(w1), [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2),
          [x3] "+r"(x3), [x4] "+r"(x4), [n] "+r"(steps), [acc] "+r"(acc)
        : [add] "r"(add), [ahead] "r"(ahead)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9",
          "q10", "q11", "q12", "q13", "q14", "q15");
}

/* One k: d[k][0..3] into q0 (VMLA by scalar reads its lanes, which must lie in d0-d15),
 * then 3 input vectors, each times the 4 scalars. OP is vmul for the first k (the sum
 * starts with the first product, as the portable kernel's) and vmla after. */
#define UPDATE_K(OP)                                                                      \
    "vld1.32 {d0-d1}, [%[dk]], %[ds]\n\t"                                                 \
    "vld1.32 {d2-d5}, [%[a]]!\n\t"                                                        \
    "vld1.32 {d6-d7}, [%[a]], %[as]\n\t"                                                  \
    OP ".f32 q4, q1, d0[0]\n\t"                                                           \
    OP ".f32 q5, q1, d0[1]\n\t"                                                           \
    OP ".f32 q6, q1, d1[0]\n\t"                                                           \
    OP ".f32 q7, q1, d1[1]\n\t"                                                           \
    OP ".f32 q8, q2, d0[0]\n\t"                                                           \
    OP ".f32 q9, q2, d0[1]\n\t"                                                           \
    OP ".f32 q10, q2, d1[0]\n\t"                                                          \
    OP ".f32 q11, q2, d1[1]\n\t"                                                          \
    OP ".f32 q12, q3, d0[0]\n\t"                                                          \
    OP ".f32 q13, q3, d0[1]\n\t"                                                          \
    OP ".f32 q14, q3, d1[0]\n\t"                                                          \
    OP ".f32 q15, q3, d1[1]\n\t"

/* Row R of the tile: its 3 gradient vectors are q(4+R), q(8+R), q(12+R); dk (free
 * until the next tile) reads the weights while w writes them back. PREFETCH is empty or
 * a PLD of the next tile's part of the row. */
#define UPDATE_ROW(PREFETCH, G0, G1, G2)                                                  \
    "mov %[dk], %[w]\n\t"                                                                 \
    PREFETCH                                                                              \
    "vld1.32 {d2-d5}, [%[dk]]!\n\t"                                                       \
    "vld1.32 {d6-d7}, [%[dk]]\n\t"                                                        \
    "vmls.f32 q1, " G0 ", d0[0]\n\t"                                                      \
    "vmls.f32 q2, " G1 ", d0[0]\n\t"                                                      \
    "vmls.f32 q3, " G2 ", d0[0]\n\t"                                                      \
    "vst1.32 {d2-d5}, [%[w]]!\n\t"                                                        \
    "vst1.32 {d6-d7}, [%[w]], %[ws]\n\t"
#define NEXT_TILE "pld [%[w], #48]\n\t"

/* The tiles: per tile, the first k by VMUL, an odd one left by VMLA, then the rest two
 * at a time (half the loop's compare-and-branch instructions). */
#define UPDATE_TILES(PREFETCH)                                                            \
    "1:\n\t"                                                                              \
    "mov %[dk], %[d]\n\t"                                                                 \
    UPDATE_K("vmul")                                                                      \
    "lsrs %[n], %[rest], #1\n\t" /* pairs of k; carry = an odd one first */              \
    "bcc 2f\n\t"                                                                          \
    UPDATE_K("vmla")                                                                      \
    "2:\n\t"                                                                              \
    "beq 3f\n\t" /* no pairs (the flags are still lsrs's) */                              \
    "4:\n\t"                                                                              \
    UPDATE_K("vmla")                                                                      \
    UPDATE_K("vmla")                                                                      \
    "subs %[n], %[n], #1\n\t"                                                             \
    "bne 4b\n\t"                                                                          \
    "3:\n\t"                                                                              \
    "sub %[a], %[a], %[a_back]\n\t"                                                       \
    "vldr s0, %[step]\n\t" /* step in d0[0] for VMLS by scalar */                         \
    UPDATE_ROW(PREFETCH, "q4", "q8", "q12")                                               \
    UPDATE_ROW(PREFETCH, "q5", "q9", "q13")                                               \
    UPDATE_ROW(PREFETCH, "q6", "q10", "q14")                                              \
    UPDATE_ROW(PREFETCH, "q7", "q11", "q15")                                              \
    /* w moved 4 rows down: back up, and 12 inputs on (4 (ws + 32) - 48 bytes) */         \
    "sub %[w], %[w], %[ws], lsl #2\n\t"                                                   \
    "sub %[w], %[w], #80\n\t"                                                             \
    "subs %[tiles], %[tiles], #1\n\t"                                                     \
    "bne 1b\n\t"
#define UPDATE_OPERANDS                                                                   \
    : [a] "+r"(a), [w] "+r"(w), [tiles] "+r"(tiles), [dk] "=&r"(dk), [n] "=&r"(n)          \
    : [d] "r"(d), [rest] "r"(count - 1), [as] "r"(as), [ds] "r"(ds), [ws] "r"(ws),         \
      [a_back] "r"(a_back), [step] "Uv"(step)                                              \
    : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10",    \
      "q11", "q12", "q13", "q14", "q15"

void hdrnn_a9_update_4x12(const float *a, int a_stride, const float *d, int d_stride,
                          int count, float *w, int w_stride, float step, int tiles,
                          int prefetch)
{
    /* post-increments in bytes: a and w already advanced by 8 floats within the row */
    const int as = (a_stride - 8) * 4, ds = d_stride * 4, ws = (w_stride - 8) * 4;
    /* after a tile's k loop a has moved count rows down: back up, and 12 inputs on */
    const int a_back = count * a_stride * 4 - 48;
    const float *dk;
    int n;
    if (prefetch)
        __asm__ volatile(UPDATE_TILES(NEXT_TILE) UPDATE_OPERANDS);
    else
        __asm__ volatile(UPDATE_TILES("") UPDATE_OPERANDS);
}
#endif
