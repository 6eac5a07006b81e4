#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_events.h"
#include "hdrnn_platform.h"
#include "hdrnn_safetensors.h"
#include "hdrnn_train.h"

int hdrnn_run_start(hdrnn_run *run, const char *prog, int argc, char *const *argv,
                    int allow_threads, hdrnn_error *err)
{
    memset(run, 0, sizeof *run);
    run->t_start = hdrnn_now();
    int rc = hdrnn_opts_parse(&run->opts, argc, argv, allow_threads, err);
    if (rc)
        return rc;
    if (run->opts.help) {
        hdrnn_opts_usage(prog, allow_threads);
        return HDRNN_OK;
    }
    run->fpu = hdrnn_fpu_flush_denormals();
    rc = hdrnn_dataset_load(&run->data, run->opts.data, run->opts.train_limit,
                            run->opts.test_limit, err);
    if (rc)
        return rc;
    const hdrnn_split *train = &run->data.train;
    run->n_layers = hdrnn_layer_sizes(run->opts.hidden, run->opts.n_hidden, train->width,
                                      HDRNN_CLASSES, run->sizes);
    /* a batch larger than the training set is the whole set: no buffers for more */
    run->max_batch = (size_t)run->opts.batch < train->count ? run->opts.batch
                     : train->count ? (int)train->count : 1;
    run->order = malloc(sizeof *run->order * (train->count ? train->count : 1));
    if (!run->order) {
        hdrnn_error_set(err, "out of memory for the sample order");
        return HDRNN_EXIT_RESOURCE;
    }
    for (size_t i = 0; i < train->count; i++)
        run->order[i] = (uint32_t)i;
    hdrnn_rng_init(&run->shuffle, run->opts.seed + 1);
    return HDRNN_OK;
}

void hdrnn_run_free(hdrnn_run *run)
{
    free(run->order);
    hdrnn_dataset_free(&run->data);
    run->order = NULL;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int train_epoch(hdrnn_run *run, const hdrnn_kernels *k, hdrnn_error *err)
{
    const hdrnn_split *train = &run->data.train;
    const size_t batch = (size_t)run->opts.batch;
    hdrnn_shuffle(&run->shuffle, run->order, train->count);
    for (size_t s = 0; s < train->count; s += batch) {
        const size_t count = min_size(batch, train->count - s);
        const size_t next = s + count; /* the next batch, fetched while this one runs */
        if (next < train->count)
            hdrnn_prefetch_images(train, run->order + next, min_size(batch, train->count - next));
        int rc = k->train_batch(k->ctx, train, run->order + s, (int)count, run->opts.lr, err);
        if (rc)
            return rc;
    }
    return HDRNN_OK;
}

static int evaluate(const hdrnn_run *run, const hdrnn_kernels *k, size_t *correct,
                    hdrnn_error *err)
{
    const hdrnn_split *test = &run->data.test;
    *correct = 0;
    for (size_t s = 0; s < test->count; s += HDRNN_EVAL_CHUNK) {
        size_t hits = 0;
        int rc = k->evaluate(k->ctx, test, s, min_size(HDRNN_EVAL_CHUNK, test->count - s),
                             &hits, err);
        if (rc)
            return rc;
        *correct += hits;
    }
    return HDRNN_OK;
}

/* The contract's safetensors file: layers.{l}.weight [out, in], layers.{l}.bias [out]. */
static int write_weights(const hdrnn_run *run, const char *impl, const hdrnn_kernels *k,
                         hdrnn_error *err)
{
    hdrnn_tensor t[2 * (HDRNN_MAX_LAYERS - 1)];
    char names[2 * (HDRNN_MAX_LAYERS - 1)][32];
    for (int l = 0; l < run->n_layers; l++) {
        const float *w, *b;
        k->params(k->ctx, l, &w, &b);
        hdrnn_tensor_names(l, names[2 * l], names[2 * l + 1], sizeof names[0]);
        const size_t out = (size_t)run->sizes[l + 1], in = (size_t)run->sizes[l];
        t[2 * l] = (hdrnn_tensor){names[2 * l], w, 2, {out, in}};
        t[2 * l + 1] = (hdrnn_tensor){names[2 * l + 1], b, 1, {out, 0}};
    }
    return hdrnn_safetensors_write(run->opts.weights_out, t, 2 * run->n_layers, impl, err);
}

/* --weights-in: the file's tensors replace the PRNG init, in the kernels' own storage
 * (params gives the live arrays, in the file's layout). */
static int read_weights(const hdrnn_run *run, const hdrnn_kernels *k, hdrnn_error *err)
{
    hdrnn_tensor_dest t[2 * (HDRNN_MAX_LAYERS - 1)];
    char names[2 * (HDRNN_MAX_LAYERS - 1)][32];
    for (int l = 0; l < run->n_layers; l++) {
        const float *w, *b;
        k->params(k->ctx, l, &w, &b);
        hdrnn_tensor_names(l, names[2 * l], names[2 * l + 1], sizeof names[0]);
        const size_t out = (size_t)run->sizes[l + 1], in = (size_t)run->sizes[l];
        t[2 * l] = (hdrnn_tensor_dest){names[2 * l], (float *)w, 2, {out, in}};
        t[2 * l + 1] = (hdrnn_tensor_dest){names[2 * l + 1], (float *)b, 1, {out, 0}};
    }
    return hdrnn_safetensors_read(run->opts.weights_in, t, 2 * run->n_layers, err);
}

int hdrnn_run_train(hdrnn_run *run, const char *impl, const char *extra,
                    const hdrnn_kernels *k, hdrnn_error *err)
{
    if (run->opts.weights_in) {
        int rc = read_weights(run, k, err);
        if (rc)
            return rc;
    }
    /* --first-epoch K: the order as epochs 1..K-1 left it (the shuffle stream is the
     * contract's whatever the weights) */
    for (int e = 1; e < run->opts.first_epoch; e++)
        hdrnn_shuffle(&run->shuffle, run->order, run->data.train.count);
    char info[1024];
    snprintf(info, sizeof info, "%s,\"denormals\":\"%s\"%s%s", hdrnn_build_info(), run->fpu,
             extra ? "," : "", extra ? extra : "");
    hdrnn_emit_start(impl, &run->opts, hdrnn_param_count(run->sizes, run->n_layers),
                     run->data.train.count, run->data.test.count, info);
    const int last = run->opts.first_epoch + run->opts.epochs - 1;
    for (int epoch = run->opts.first_epoch; epoch <= last; epoch++) {
        const double t0 = hdrnn_now();
        int rc = train_epoch(run, k, err);
        if (rc)
            return rc;
        const double t1 = hdrnn_now();
        size_t correct;
        if ((rc = evaluate(run, k, &correct, err)))
            return rc;
        hdrnn_emit_epoch(epoch, correct, run->data.test.count, t1 - t0, hdrnn_now() - t1);
    }
    if (run->opts.weights_out) {
        int rc = write_weights(run, impl, k, err);
        if (rc)
            return rc;
    }
    hdrnn_emit_done(hdrnn_now() - run->t_start);
    return HDRNN_OK;
}
