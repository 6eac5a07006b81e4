/* hdrnn-c: the HDR-NN trainer in plain C (libc and libm only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_idx.h"
#include "hdrnn_net.h"
#include "hdrnn_opts.h"
#include "hdrnn_prng.h"
#include "hdrnn_report.h"
#include "hdrnn_safetensors.h"

#define PROG "hdrnn-c"

static int fail(int code, const hdrnn_error *err)
{
    fprintf(stderr, PROG ": %s%s\n", code == HDRNN_EXIT_USAGE ? "error: " : "", err->msg);
    return code;
}

static int write_weights(const hdrnn_net *net, const char *path, hdrnn_error *err)
{
    hdrnn_tensor t[2 * (HDRNN_MAX_HIDDEN + 1)];
    char names[2 * (HDRNN_MAX_HIDDEN + 1)][32];
    int n = 0;
    for (int l = 0; l < net->n_layers; l++) {
        snprintf(names[n], sizeof names[n], "layers.%d.weight", l);
        t[n] = (hdrnn_tensor){names[n], net->w[l], 2,
                              {(size_t)net->sizes[l + 1], (size_t)net->sizes[l]}};
        n++;
        snprintf(names[n], sizeof names[n], "layers.%d.bias", l);
        t[n] = (hdrnn_tensor){names[n], net->b[l], 1, {(size_t)net->sizes[l + 1], 0}};
        n++;
    }
    return hdrnn_safetensors_write(path, t, n, "c", err);
}

int main(int argc, char **argv)
{
    const double t_start = hdrnn_now();
    hdrnn_opts o;
    hdrnn_error err;
    int rc = hdrnn_opts_parse(&o, argc, argv, 0, &err);
    if (rc)
        return fail(rc, &err);
    if (o.help) {
        hdrnn_opts_usage(PROG, 0);
        return 0;
    }
    const char *fpu = hdrnn_fpu_flush_denormals();

    hdrnn_dataset ds;
    rc = hdrnn_dataset_load(&ds, o.data, o.train_limit, o.test_limit, &err);
    if (rc)
        return fail(rc, &err);

    int sizes[HDRNN_MAX_HIDDEN + 2];
    int n_layers = hdrnn_opts_layer_sizes(&o, sizes);
    hdrnn_net *net = hdrnn_net_create(sizes, n_layers, o.batch, o.seed);
    uint32_t *order = malloc(sizeof *order * (ds.train.count ? ds.train.count : 1));
    if (!net || !order) {
        hdrnn_net_free(net);
        free(order);
        hdrnn_dataset_free(&ds);
        hdrnn_error_set(&err, "out of memory for the network");
        return fail(HDRNN_EXIT_RESOURCE, &err);
    }
    for (size_t i = 0; i < ds.train.count; i++)
        order[i] = (uint32_t)i;
    hdrnn_rng shuffle;
    hdrnn_rng_init(&shuffle, o.seed + 1);

    char extra[512];
    snprintf(extra, sizeof extra, "%s,\"denormals\":\"%s\"", hdrnn_build_info(), fpu);
    hdrnn_emit_start("c", &o, hdrnn_param_count(sizes, n_layers), ds.train.count,
                     ds.test.count, extra);
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        double t0 = hdrnn_now();
        hdrnn_shuffle(&shuffle, order, ds.train.count);
        for (size_t s = 0; s < ds.train.count; s += (size_t)o.batch) {
            size_t left = ds.train.count - s;
            int count = left < (size_t)o.batch ? (int)left : o.batch;
            size_t next = s + (size_t)count; /* the next batch, fetched while this one runs */
            if (next < ds.train.count) {
                size_t n_next = ds.train.count - next;
                hdrnn_prefetch_images(ds.train.images, order + next,
                                      n_next < (size_t)o.batch ? n_next : (size_t)o.batch);
            }
            hdrnn_net_train_batch(net, ds.train.images, ds.train.labels, order + s, count,
                                  o.lr);
        }
        double t1 = hdrnn_now();
        size_t correct = hdrnn_net_evaluate(net, ds.test.images, ds.test.labels, ds.test.count);
        hdrnn_emit_epoch(epoch, correct, ds.test.count, t1 - t0, hdrnn_now() - t1);
    }
    if (o.weights_out)
        rc = write_weights(net, o.weights_out, &err);
    hdrnn_net_free(net);
    free(order);
    hdrnn_dataset_free(&ds);
    if (rc)
        return fail(rc, &err);
    hdrnn_emit_done(hdrnn_now() - t_start);
    return 0;
}
