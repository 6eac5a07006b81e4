/* hdrnn-c: the HDR-NN trainer in plain C (libc and libm only). The epoch loop is the
 * shared one (native/common/hdrnn_train.h); this file binds it to hdrnn_net.c. */
#include <stdlib.h>

#include "hdrnn_net.h"
#include "hdrnn_train.h"

#define PROG "hdrnn-c"

static int train_batch(void *ctx, const hdrnn_split *train, const uint32_t *idx, int count,
                       double lr, hdrnn_error *err)
{
    (void)err;
    hdrnn_net_train_batch(ctx, train, idx, count, lr);
    return HDRNN_OK;
}

static int evaluate(void *ctx, const hdrnn_split *test, size_t first, size_t count,
                    size_t *correct, hdrnn_error *err)
{
    (void)err;
    *correct = hdrnn_net_evaluate(ctx, test, first, count);
    return HDRNN_OK;
}

static void params(const void *ctx, int layer, const float **weight, const float **bias)
{
    /* the loop reads the weights through here: apply an update that waits for the next
     * batch first (the net is the one main created, not a const object) */
    hdrnn_net *net = (hdrnn_net *)ctx;
    hdrnn_net_sync(net);
    *weight = net->w[layer];
    *bias = net->b[layer];
}

int main(int argc, char **argv)
{
    hdrnn_run run;
    hdrnn_error err;
    int rc = hdrnn_run_start(&run, PROG, argc, argv, HDRNN_ALLOW_STREAM, &err);
    if (rc == HDRNN_OK && !run.opts.help) {
        hdrnn_net *net = hdrnn_net_create(run.sizes, run.n_layers, run.max_batch,
                                          run.opts.seed);
        if (!net) {
            hdrnn_error_set(&err, "out of memory for the network");
            rc = HDRNN_EXIT_RESOURCE;
        } else {
            const hdrnn_kernels k = {net, train_batch, evaluate, params};
            rc = hdrnn_run_train(&run, "c", NULL, &k, &err);
        }
        hdrnn_net_free(net);
    }
    hdrnn_run_free(&run);
    return rc ? hdrnn_fail(PROG, rc, &err) : 0;
}
