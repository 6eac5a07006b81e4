/* The HDR-NN in C. Kernels use the vector type of hdrnn_vec.h (8 lanes: NEON intrinsics
 * or GCC/Clang generic vectors; 16 lanes in AVX-512 host-tuned builds) with an explicit
 * summation order, so no -ffast-math is needed and the portable x86 and ARM builds
 * produce bitwise-equal weights:
 * - forward:  dot products of weight rows with a block of samples (each row load serves
 *             the block), LANES partial sums each, reduced at the end;
 * - update:   a register-tiled outer product, summing over the batch in registers;
 * - delta:    an axpy over the inputs.
 * Rows whose length is not a multiple of LANES (30 hidden units, say) end with one
 * partial vector (a masked load on AVX-512) rather than a scalar loop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_a9.h"
#include "hdrnn_net.h"
#include "hdrnn_platform.h"
#include "hdrnn_prng.h"
#include "hdrnn_vec.h"

#define LANES HDRNN_VF_LANES
/* On ARMv7 loops over register blocks must be unrolled before GCC decides where arrays
 * live: only then are accumulator arrays kept in registers instead of being stored on
 * every step. On x86 GCC manages without, and the pragma costs AVX builds 40 %. */
#if defined(__ARM_NEON)
#define UNROLL _Pragma("GCC unroll 16")
#else
#define UNROLL
#endif
/* Samples per forward block. A whole batch of 10 with AVX-512 (32 registers): each
 * weight row is then read once per batch, which halves the forward pass's L2 traffic;
 * 5 elsewhere (with ROWS below, 16 registers). */
#if defined(__AVX512F__)
#define BLOCK 10
#else
#define BLOCK 5
#endif

/* ROWS weight rows share each load of the BLOCK inputs: ROWS x BLOCK accumulators, ROWS
 * row vectors and one input vector must fit the register file. 16 registers (NEON, SSE2,
 * AVX): 2 x 5 + 2 + 1 = 13; 32 (AVX-512): 2 x 10 + 2 + 1. Blocking changes no sum. */
#define ROWS 2

static int fuses_first_layer(const hdrnn_net *net);

static inline float sigmoid(float z)
{
    /* expf(-z) overflows to inf below z = -88 and 1/(1+inf) = 0 is the right limit */
    return 1.0f / (1.0f + expf(-z));
}

hdrnn_net *hdrnn_net_create(const int *sizes, int n_layers, int max_batch, uint64_t seed)
{
    hdrnn_net *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->n_layers = n_layers;
    net->max_batch = max_batch;
    int widest = 0;
    for (int l = 0; l <= n_layers; l++) {
        net->sizes[l] = sizes[l];
        widest = sizes[l] > widest ? sizes[l] : widest;
        net->act[l] = hdrnn_alloc(sizeof(float) * (size_t)max_batch * (size_t)sizes[l]);
        if (!net->act[l])
            goto fail;
    }
    for (int l = 0; l < n_layers; l++) {
        net->w[l] = hdrnn_alloc(sizeof(float) * (size_t)sizes[l + 1] * (size_t)sizes[l]);
        net->b[l] = hdrnn_alloc(sizeof(float) * (size_t)sizes[l + 1]);
        if (!net->w[l] || !net->b[l])
            goto fail;
    }
    for (int k = 0; k < 2; k++) {
        net->delta[k] = hdrnn_alloc(sizeof(float) * (size_t)max_batch * (size_t)widest);
        if (!net->delta[k])
            goto fail;
    }
    if (fuses_first_layer(net)) {
        const size_t batch = (size_t)max_batch;
        net->pending_a = hdrnn_alloc(sizeof(float) * batch * (size_t)sizes[0]);
        net->pending_d = hdrnn_alloc(sizeof(float) * batch * (size_t)sizes[1]);
        /* whole pairs of rows and blocks of samples: an odd number of hidden units
         * still has a pair's sums for its last row, a short last block its samples' */
        net->part = hdrnn_alloc(sizeof(float) * (((size_t)sizes[1] + ROWS - 1) / ROWS * ROWS) *
                                ((batch + BLOCK - 1) / BLOCK * BLOCK) * LANES);
        if (!net->pending_a || !net->pending_d || !net->part)
            goto fail;
    }
    hdrnn_init_params(seed, sizes, n_layers, net->w, net->b);
    hdrnn_pixel_scaler_init(&net->pixels);
    return net;
fail:
    hdrnn_net_free(net);
    return NULL;
}

void hdrnn_net_free(hdrnn_net *net)
{
    if (!net)
        return;
    for (int l = 0; l <= net->n_layers; l++)
        hdrnn_free(net->act[l]);
    for (int l = 0; l < net->n_layers; l++) {
        hdrnn_free(net->w[l]);
        hdrnn_free(net->b[l]);
    }
    hdrnn_free(net->delta[0]);
    hdrnn_free(net->delta[1]);
    hdrnn_free(net->pending_a);
    hdrnn_free(net->pending_d);
    hdrnn_free(net->part);
    free(net);
}

#if defined(__AVX512F__) && (ROWS != 2 || BLOCK % 2)
#error "forward_layer's 4-sum reduction takes 2 rows x 2 samples"
#endif

/* out[k][o] = b[o] + sum_i in[k][i] * w[o][i] for k < count (pre-activations); each
 * sum in LANES lanes over i (the last n_in % LANES inputs as one zero-padded vector),
 * then vf_hsum (vf_hsum4 for four at once on AVX-512).
 * in [count][n_in], w [n_out][n_in], out [count][n_out]. */
/* On ARMv7 GCC's induction-variable pass turns the stepping pointers below back into
 * base + index, an add before every load (vld1 has no register-offset form): off there. */
#if defined(__ARM_NEON) && defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-ivopts")))
#endif
static void forward_layer(const float *restrict in, int count, int n_in,
                          const float *restrict w, const float *restrict b, int n_out,
                          float *restrict out)
{
    const int n_vec = n_in / LANES * LANES;
    for (int k0 = 0; k0 < count; k0 += BLOCK) {
        const float *x[BLOCK];
        UNROLL
        for (int j = 0; j < BLOCK; j++) /* a short last block repeats its first sample */
            x[j] = in + (size_t)(k0 + j < count ? k0 + j : k0) * n_in;
        for (int o0 = 0; o0 < n_out; o0 += ROWS) {
            const float *wr[ROWS];
            UNROLL
            for (int r = 0; r < ROWS; r++) /* a short last block repeats its first row */
                wr[r] = w + (size_t)(o0 + r < n_out ? o0 + r : o0) * n_in;
            hdrnn_vf acc[ROWS][BLOCK];
            UNROLL
            for (int r = 0; r < ROWS; r++)
                UNROLL
                for (int j = 0; j < BLOCK; j++)
                    acc[r][j] = vf_splat(0.0f);
#if defined(HDRNN_A9) && ROWS == 2 && BLOCK == 5
            float part[ROWS][BLOCK][LANES];
            hdrnn_a9_dot_2x5(wr[0], wr[1], x, n_vec / LANES, part, 0, 256);
            UNROLL
            for (int r = 0; r < ROWS; r++)
                UNROLL
                for (int j = 0; j < BLOCK; j++)
                    acc[r][j] = vf_load(part[r][j]);
#else
            /* pointers that step (post-increment loads), not base + index */
            const float *wp[ROWS], *xp[BLOCK];
            UNROLL
            for (int r = 0; r < ROWS; r++)
                wp[r] = wr[r];
            UNROLL
            for (int j = 0; j < BLOCK; j++)
                xp[j] = x[j];
            for (int i = 0; i < n_vec; i += LANES) {
                hdrnn_vf wv[ROWS];
                UNROLL
                for (int r = 0; r < ROWS; r++) {
                    wv[r] = vf_load(wp[r]);
                    wp[r] += LANES;
                }
                UNROLL
                for (int j = 0; j < BLOCK; j++) {
                    hdrnn_vf xv = vf_load(xp[j]);
                    xp[j] += LANES;
                    UNROLL
                    for (int r = 0; r < ROWS; r++)
                        acc[r][j] = vf_madd(acc[r][j], xv, wv[r]);
                }
            }
#endif
            if (n_vec < n_in) { /* the last inputs, zero-padded: 0 * 0 adds nothing */
                hdrnn_vf wv[ROWS];
                UNROLL
                for (int r = 0; r < ROWS; r++)
                    wv[r] = vf_load_part(wr[r] + n_vec, n_in - n_vec);
                UNROLL
                for (int j = 0; j < BLOCK; j++) {
                    hdrnn_vf xv = vf_load_part(x[j] + n_vec, n_in - n_vec);
                    UNROLL
                    for (int r = 0; r < ROWS; r++)
                        acc[r][j] = vf_madd(acc[r][j], xv, wv[r]);
                }
            }
#if defined(__AVX512F__)
            if (o0 + ROWS <= n_out && k0 + BLOCK <= count) { /* a full block: 4 sums at once */
                const __m128 bias = _mm_setr_ps(b[o0], b[o0 + 1], b[o0], b[o0 + 1]);
                UNROLL
                for (int j = 0; j < BLOCK; j += 2) {
                    __m128 z = _mm_add_ps(
                        vf_hsum4(acc[0][j], acc[1][j], acc[0][j + 1], acc[1][j + 1]), bias);
                    _mm_storel_pi((__m64 *)(out + (size_t)(k0 + j) * n_out + o0), z);
                    _mm_storeh_pi((__m64 *)(out + (size_t)(k0 + j + 1) * n_out + o0), z);
                }
                continue;
            }
#endif
            /* constant trip counts: the accumulators stay registers (a loop bound by
             * n_out or count would make GCC keep them in memory, stored every step) */
            UNROLL
            for (int r = 0; r < ROWS; r++)
                UNROLL
                for (int j = 0; j < BLOCK; j++)
                    if (o0 + r < n_out && k0 + j < count)
                        out[(size_t)(k0 + j) * n_out + o0 + r] = vf_hsum(acc[r][j]) + b[o0 + r];
        }
    }
}

#if defined(HDRNN_LIBMVEC)
/* glibc's libmvec: 16 expf at once (AVX-512), within 1 ulp of expf. Host-tuned builds
 * only; portable and ARM builds keep the scalar expf, so they stay bitwise alike. */
typedef float hdrnn_v16 __attribute__((vector_size(64)));
extern hdrnn_v16 _ZGVeN16v_expf(hdrnn_v16);
#endif

/* v[i] = sigmoid(v[i]) for i < n */
static void sigmoid_inplace(float *v, size_t n)
{
    size_t i = 0;
#if defined(HDRNN_LIBMVEC)
    for (; i + 16 <= n; i += 16) {
        hdrnn_v16 z;
        memcpy(&z, v + i, sizeof z);
        z = 1.0f / (1.0f + _ZGVeN16v_expf(-z));
        memcpy(v + i, &z, sizeof z);
    }
#endif
    for (; i < n; i++)
        v[i] = sigmoid(v[i]);
}

/* Where a batch's inputs come from: the samples idx[k] of data, or first + k without idx. */
typedef struct batch_src {
    const hdrnn_split *data;
    const uint32_t *idx;
    size_t first;
} batch_src;

/* Inputs [i0, i1) of the batch's count samples into act[0]. */
static void load_inputs(hdrnn_net *net, const batch_src *src, int count, int i0, int i1)
{
    const hdrnn_split *data = src->data;
    const size_t width = (size_t)net->sizes[0], n = (size_t)(i1 - i0);
    for (int k = 0; k < count; k++) {
        const uint8_t *row = data->features +
                             (src->idx ? src->idx[k] : src->first + (size_t)k) * data->row_bytes;
        float *x = net->act[0] + (size_t)k * width + i0;
        if (data->dtype == HDRNN_DTYPE_U8)
            hdrnn_scale_pixels(&net->pixels, row + i0, x, n);
        else /* float32 features are the inputs as they are */
            memcpy(x, row + (size_t)i0 * sizeof *x, n * sizeof *x);
    }
}

static void update_forward_first(hdrnn_net *net, const batch_src *src, int count,
                                 float *restrict out);

/* Activations of every layer for the samples idx[k] (or first + k without idx), k < count;
 * a first-layer update that waits is applied on the way (update_forward_first, which
 * loads the inputs itself, a column block at a time). */
static void forward(hdrnn_net *net, const hdrnn_split *data, const uint32_t *idx,
                    size_t first, int count)
{
    const batch_src src = {data, idx, first};
    if (!net->pending)
        load_inputs(net, &src, count, 0, net->sizes[0]);
    for (int l = 0; l < net->n_layers; l++) {
        if (l == 0 && net->pending)
            update_forward_first(net, &src, count, net->act[1]);
        else
            forward_layer(net->act[l], count, net->sizes[l], net->w[l], net->b[l],
                          net->sizes[l + 1], net->act[l + 1]);
        sigmoid_inplace(net->act[l + 1], (size_t)count * (size_t)net->sizes[l + 1]);
    }
}

/* prev[k][i] = (sum_o d[k][o] * w[o][i]) * a[k][i] * (1 - a[k][i]), with the weights
 * before this batch's update. Axpy shape over i. */
static void backprop_delta(const float *restrict d, int count, int n_out,
                           const float *restrict w, int n_in, const float *restrict a,
                           float *restrict prev)
{
    const int n_vec = n_in / LANES * LANES;
    for (int k = 0; k < count; k++) {
        const float *dk = d + (size_t)k * n_out;
        const float *ak = a + (size_t)k * n_in;
        float *pk = prev + (size_t)k * n_in;
        for (int i = 0; i < n_vec; i += LANES) {
            hdrnn_vf acc = vf_splat(0.0f);
            for (int o = 0; o < n_out; o++)
                acc = vf_madd(acc, vf_splat(dk[o]), vf_load(w + (size_t)o * n_in + i));
            hdrnn_vf av = vf_load(ak + i);
            vf_store(pk + i, vf_mul(vf_mul(acc, av), vf_sub(vf_splat(1.0f), av)));
        }
        if (n_vec < n_in) { /* the last inputs as one partial vector */
            const int n = n_in - n_vec;
            hdrnn_vf acc = vf_splat(0.0f);
            for (int o = 0; o < n_out; o++)
                acc = vf_madd(acc, vf_splat(dk[o]), vf_load_part(w + (size_t)o * n_in + n_vec, n));
            hdrnn_vf av = vf_load_part(ak + n_vec, n);
            vf_store_part(pk + n_vec, vf_mul(vf_mul(acc, av), vf_sub(vf_splat(1.0f), av)), n);
        }
    }
}

/* w[o][i] -= step * g, g = d[0][o] * a[0][i] + d[1][o] * a[1][i] + ... (k in order, the
 * sum starting from the first product); b[o] likewise.
 * A GEMM with a short inner dimension (the batch): a tile of 4 rows x TILE_VECS vectors
 * of g stays in registers while k runs, each a[k] load serving 4 rows and each
 * broadcast of d[k][o] serving TILE_VECS vectors (on the Cortex-A9, tiles of 4 x 12
 * inputs in hdrnn_a9.c first). Every path sums alike, so the tiling changes no result.
 * d [count][n_out], a [count][n_in], w [n_out][n_in]. */
#define TILE_ROWS 4 /* vf_madd4's four rows */
#if defined(__AVX512F__)
#define TILE_VECS 4 /* 16 accumulators of 32 registers */
#else
#define TILE_VECS 2 /* 8 accumulators + 2 inputs + 1 broadcast of 16 registers */
#endif

/* Rows o0 .. o0 + rows - 1, inputs [i0, i1) (each weight's update is its own: any
 * split of the columns gives the same weights). */
static void update_rows(const float *restrict d, int count, int n_out, int o0, int rows,
                        const float *restrict a, int n_in, float *restrict w, float step,
                        int i0, int i1)
{
    const hdrnn_vf vstep = vf_splat(step);
    int i = i0;
    if (rows == TILE_ROWS) {
        for (; i + TILE_VECS * LANES <= i1; i += TILE_VECS * LANES) {
            hdrnn_vf g[TILE_VECS][TILE_ROWS]; /* g[c][r]: rows o0 + r, inputs i + c * LANES */
            const float *ak = a + i, *dk = d + o0;
            hdrnn_s4 dv = vf_load4(dk); /* d[k][o0 .. o0 + 3] */
            UNROLL
            for (int c = 0; c < TILE_VECS; c++)
                vf_mul4(g[c], vf_load(ak + c * LANES), dv);
            for (int k = 1; k < count; k++) {
                ak += n_in;
                dk += n_out;
                dv = vf_load4(dk);
                UNROLL
                for (int c = 0; c < TILE_VECS; c++)
                    vf_madd4(g[c], vf_load(ak + c * LANES), dv);
            }
            UNROLL
            for (int r = 0; r < TILE_ROWS; r++) {
                float *wr = w + (size_t)(o0 + r) * n_in + i;
                UNROLL
                for (int c = 0; c < TILE_VECS; c++)
                    vf_store(wr + c * LANES,
                             vf_msub(vf_load(wr + c * LANES), vstep, g[c][r]));
            }
        }
    }
    for (int r = 0; r < rows; r++) { /* the rest: one row, a vector at a time */
        const int o = o0 + r;
        float *wr = w + (size_t)o * n_in;
        int j = i;
        for (; j + LANES <= i1; j += LANES) {
            hdrnn_vf g = vf_mul(vf_splat(d[o]), vf_load(a + j));
            for (int k = 1; k < count; k++)
                g = vf_madd(g, vf_splat(d[(size_t)k * n_out + o]),
                            vf_load(a + (size_t)k * n_in + j));
            vf_store(wr + j, vf_msub(vf_load(wr + j), vstep, g));
        }
        if (j < i1) { /* the last inputs as one partial vector */
            const int n = i1 - j;
            hdrnn_vf g = vf_mul(vf_splat(d[o]), vf_load_part(a + j, n));
            for (int k = 1; k < count; k++)
                g = vf_madd(g, vf_splat(d[(size_t)k * n_out + o]),
                            vf_load_part(a + (size_t)k * n_in + j, n));
            vf_store_part(wr + j, vf_msub(vf_load_part(wr + j, n), vstep, g), n);
        }
    }
}

/* At most this many tiles of 12 inputs per column block of the A9 kernels: the block's
 * inputs of a batch of 10 (7.7 KB) stay in the L1 while every row group's part of the
 * block streams through once. Row group by row group instead, each group read the
 * batch's whole inputs (31 KB at 784 inputs: the L1) again from the L2, 3,100 L1 misses
 * per sample at 784-128-10 (QEMU's cache plugin, docs/performance.md). update_weights
 * takes blocks of this size, update_forward_first as many of (nearly) equal size. */
#define COL_TILES 16
/* The largest batch the fused first layer takes (larger batches are not fused). */
#define HDRNN_MAX_BATCH 64

static void update_weights(const float *restrict d, int count, int n_out,
                           const float *restrict a, int n_in, float *restrict w, float step)
{
    int done = 0; /* inputs [0, done) of every full row group, by the A9 kernel */
#if defined(HDRNN_A9)
    const int groups = n_out / TILE_ROWS, tiles = n_in / (3 * LANES);
    if (groups && tiles) {
        for (int t0 = 0; t0 < tiles; t0 += COL_TILES) {
            const int nt = tiles - t0 < COL_TILES ? tiles - t0 : COL_TILES;
            for (int g = 0; g < groups; g++)
                hdrnn_a9_update_4x12(a + t0 * 3 * LANES, n_in, d + g * TILE_ROWS, n_out,
                                     count, w + (size_t)g * TILE_ROWS * n_in + t0 * 3 * LANES,
                                     n_in, step, nt, 1);
        }
        done = tiles * 3 * LANES;
    }
#endif
    for (int o0 = 0; o0 < n_out; o0 += TILE_ROWS) {
        int rows = n_out - o0 < TILE_ROWS ? n_out - o0 : TILE_ROWS;
        update_rows(d, count, n_out, o0, rows, a, n_in, w, step, rows == TILE_ROWS ? done : 0,
                    n_in);
    }
}

static void update_bias(const float *restrict d, int count, int n_out, float *restrict b,
                        float step)
{
    for (int o = 0; o < n_out; o++) {
        float gb = 0.0f;
        for (int k = 0; k < count; k++)
            gb += d[(size_t)k * n_out + o];
        b[o] -= step * gb;
    }
}

/* The first layer's update waits for the next batch on ARMv7, where the A9 kernels do
 * it and that batch's forward pass in one pass over the weights: weights that do not
 * stay in the 32 KB L1 anyway (at 784 inputs, from 8 hidden units on: 2 and 4 gain
 * nothing and pay the partial sums), at least one tile of 12 inputs, and batches of up
 * to HDRNN_MAX_BATCH (the fused pass's pointer table). */
static int fuses_first_layer(const hdrnn_net *net)
{
#if defined(HDRNN_A9)
    return (size_t)net->sizes[0] * (size_t)net->sizes[1] * sizeof(float) > 16384 &&
           net->sizes[0] >= 3 * LANES && net->max_batch <= HDRNN_MAX_BATCH;
#else
    (void)net;
    return 0;
#endif
}

void hdrnn_net_sync(hdrnn_net *net)
{
    if (!net->pending)
        return;
    update_weights(net->pending_d, net->pending, net->sizes[1], net->pending_a,
                   net->sizes[0], net->w[0], net->pending_step);
    net->pending = 0;
}

/* The waiting update of the first layer (the previous batch's deltas and inputs) and
 * this batch's first-layer pre-activations over the updated weights, in one pass over
 * them: per column block of COL_TILES tiles of 12 inputs, each group of 4 rows (and the
 * rows after the last group) is updated and then, still in the L1, multiplied with the
 * batch's inputs, 2 rows x 5 samples at a time (the forward pass read the 401 KB of
 * weights at 784-128-10 twice per batch, the update once more). The block's inputs are
 * loaded just before (pixels scaled all at once ahead of the pass were evicted before
 * use: 98 more L1 misses a sample). The partial sums of every row and sample carry over
 * the blocks in net->part: forward_layer's sums, in its order, over the weights
 * update_weights leaves, so the result is bitwise the unfused one. out [count][n_out]. */
static void update_forward_first(hdrnn_net *net, const batch_src *src, int count,
                                 float *restrict out)
{
#if defined(HDRNN_A9)
    const float *in = net->act[0]; /* [count][n_in], filled block by block */
    const int n_in = net->sizes[0], n_out = net->sizes[1];
    const int tiles = n_in / (3 * LANES), done = tiles * 3 * LANES;
    const int n_vec = n_in / LANES * LANES, blocks = (count + BLOCK - 1) / BLOCK;
    const float *a = net->pending_a, *d = net->pending_d, *b = net->b[0];
    float *w = net->w[0];
    const int groups = n_out / TILE_ROWS, n_blocks = (tiles + COL_TILES - 1) / COL_TILES;
    float (*part)[ROWS][BLOCK][LANES] = (float (*)[ROWS][BLOCK][LANES])net->part;
    const float *x[BLOCK], *xb[(HDRNN_MAX_BATCH + BLOCK - 1) / BLOCK][BLOCK];
    for (int kb = 0; kb < blocks; kb++)
        for (int j = 0; j < BLOCK; j++) /* a short block repeats its first sample */
            xb[kb][j] = in + (size_t)(kb * BLOCK + (kb * BLOCK + j < count ? j : 0)) * n_in;
    for (int c = 0, t0 = 0; c < n_blocks; c++) { /* blocks of (nearly) equal size */
        /* an even number of tiles (24 inputs) but in the last block: the pixels of
         * every block start on a whole vector of 8 (no scalar pixels but the last) */
        const int end = c + 1 < n_blocks ? (tiles * (c + 1)) / n_blocks / 2 * 2 : tiles;
        const int nt = end - t0, i0 = t0 * 3 * LANES;
        load_inputs(net, src, count, i0, i0 + nt * 3 * LANES);
        for (int r0 = 0; r0 < n_out; r0 += ROWS) {
            if (r0 % TILE_ROWS == 0 && r0 < groups * TILE_ROWS) /* prefetched after the first */
                hdrnn_a9_update_4x12(a + i0, n_in, d + r0, n_out, net->pending,
                                     w + (size_t)r0 * n_in + i0, n_in, net->pending_step, nt,
                                     r0 == 0);
            else if (r0 == groups * TILE_ROWS) /* the rows after the last group of 4 */
                update_rows(d, net->pending, n_out, r0, n_out - r0, a, n_in, w,
                            net->pending_step, i0, i0 + nt * 3 * LANES);
            const int r1 = r0 + 1 < n_out ? r0 + 1 : r0; /* a short pair repeats its row */
            /* The rows were just updated, so they are in the L1; the first pass over them
             * prefetches the same block of the next group's rows, a PLD per line. */
            const int ahead = r0 + ROWS + TILE_ROWS <= n_out ? TILE_ROWS * n_in * 4 : 0;
            for (int kb = 0; kb < blocks; kb++) {
                for (int j = 0; j < BLOCK; j++)
                    x[j] = xb[kb][j] + i0;
                hdrnn_a9_dot_2x5(w + (size_t)r0 * n_in + i0, w + (size_t)r1 * n_in + i0, x,
                                 nt * 3, part[r0 / ROWS * blocks + kb], t0 > 0,
                                 kb == 0 ? ahead : 0);
            }
        }
        t0 += nt;
    }
    /* the inputs after the last whole tile: update, then the rest of each product */
    if (done < n_in)
        load_inputs(net, src, count, done, n_in);
    for (int o0 = 0; o0 < n_out; o0 += TILE_ROWS)
        update_rows(d, net->pending, n_out, o0, n_out - o0 < TILE_ROWS ? n_out - o0 : TILE_ROWS,
                    a, n_in, w, net->pending_step, done, n_in);
    for (int o0 = 0; o0 < n_out; o0 += ROWS)
        for (int kb = 0; kb < blocks; kb++) {
            hdrnn_vf acc[ROWS][BLOCK];
            const int rows = o0 + 1 < n_out ? ROWS : 1;
            for (int j = 0; j < BLOCK; j++)
                x[j] = xb[kb][j];
            UNROLL
            for (int r = 0; r < ROWS; r++)
                UNROLL
                for (int j = 0; j < BLOCK; j++)
                    acc[r][j] = done ? vf_load(part[o0 / ROWS * blocks + kb][r][j])
                                     : vf_splat(0.0f);
            for (int i = done; i < n_vec; i += LANES)
                for (int r = 0; r < rows; r++) {
                    const hdrnn_vf wv = vf_load(w + (size_t)(o0 + r) * n_in + i);
                    for (int j = 0; j < BLOCK; j++)
                        acc[r][j] = vf_madd(acc[r][j], vf_load(x[j] + i), wv);
                }
            if (n_vec < n_in) /* the last inputs, zero-padded */
                for (int r = 0; r < rows; r++) {
                    const hdrnn_vf wv = vf_load_part(w + (size_t)(o0 + r) * n_in + n_vec,
                                                     n_in - n_vec);
                    for (int j = 0; j < BLOCK; j++)
                        acc[r][j] = vf_madd(acc[r][j],
                                            vf_load_part(x[j] + n_vec, n_in - n_vec), wv);
                }
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < BLOCK; j++)
                    if (kb * BLOCK + j < count)
                        out[(size_t)(kb * BLOCK + j) * n_out + o0 + r] =
                            vf_hsum(acc[r][j]) + b[o0 + r];
        }
    net->pending = 0;
#else
    (void)net, (void)src, (void)count, (void)out; /* fuses_first_layer is false */
#endif
}

void hdrnn_net_train_batch(hdrnn_net *net, const hdrnn_split *train, const uint32_t *idx,
                           int count, double lr)
{
    const int L = net->n_layers, classes = net->sizes[L];
    forward(net, train, idx, 0, count);

    /* output delta = (a - y) * a * (1 - a) */
    float *d = net->delta[0];
    const float *a = net->act[L];
    for (int k = 0; k < count; k++) {
        const int label = train->labels[idx[k]];
        for (int o = 0; o < classes; o++) {
            float ak = a[k * classes + o];
            float y = (o == label) ? 1.0f : 0.0f;
            d[k * classes + o] = (ak - y) * ak * (1.0f - ak);
        }
    }
    const float step = (float)(lr / count); /* as the reference: lr / len(batch) in double */
    for (int l = L - 1; l >= 0; l--) {
        float *prev = net->delta[(L - l) & 1];
        if (l > 0) /* before this layer's update: it needs the old weights */
            backprop_delta(d, count, net->sizes[l + 1], net->w[l], net->sizes[l],
                           net->act[l], prev);
        if (l == 0 && fuses_first_layer(net)) {
            /* the weights wait for the next batch's forward pass; the bias does not */
            memcpy(net->pending_d, d, sizeof(float) * (size_t)count * (size_t)net->sizes[1]);
            float *inputs = net->act[0];
            net->act[0] = net->pending_a; /* the next batch's inputs go to the other */
            net->pending_a = inputs;
            net->pending = count;
            net->pending_step = step;
        } else {
            update_weights(d, count, net->sizes[l + 1], net->act[l], net->sizes[l],
                           net->w[l], step);
        }
        update_bias(d, count, net->sizes[l + 1], net->b[l], step);
        d = prev;
    }
}

size_t hdrnn_net_evaluate(hdrnn_net *net, const hdrnn_split *test, size_t first, size_t n)
{
    const int classes = net->sizes[net->n_layers];
    const float *out = net->act[net->n_layers];
    size_t correct = 0;
    hdrnn_net_sync(net);
    /* within the batch buffers: evaluation needs no memory of its own */
    for (size_t s = first; s < first + n; s += (size_t)net->max_batch) {
        const size_t left = first + n - s;
        const int count = (int)(left < (size_t)net->max_batch ? left : (size_t)net->max_batch);
        forward(net, test, NULL, s, count);
        for (int k = 0; k < count; k++) {
            int best = 0; /* lowest index wins ties */
            for (int o = 1; o < classes; o++)
                if (out[k * classes + o] > out[k * classes + best])
                    best = o;
            correct += best == test->labels[s + (size_t)k];
        }
    }
    return correct;
}
