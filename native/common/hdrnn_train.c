#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrnn_events.h"
#include "hdrnn_platform.h"
#include "hdrnn_safetensors.h"
#include "hdrnn_train.h"

int hdrnn_run_start(hdrnn_run *run, const char *prog, int argc, char *const *argv,
                    int allow, hdrnn_error *err)
{
    memset(run, 0, sizeof *run);
    run->data.train.fd = run->data.test.fd = -1;
    run->t_start = hdrnn_now();
    int rc = hdrnn_opts_parse(&run->opts, argc, argv, allow, err);
    if (rc)
        return rc;
    if (run->opts.help) {
        hdrnn_opts_usage(prog, allow);
        return HDRNN_OK;
    }
    run->fpu = hdrnn_fpu_flush_denormals();
    rc = hdrnn_dataset_load(&run->data, run->opts.data, run->opts.train_limit,
                            run->opts.test_limit, run->opts.classes, run->opts.stream, err);
    if (rc)
        return rc;
    const hdrnn_split *train = &run->data.train;
    run->n_layers = hdrnn_layer_sizes(run->opts.hidden, run->opts.n_hidden, train->width,
                                      run->data.classes, run->sizes);
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
    if (run->opts.stream) {
        run->chunk_features = malloc(HDRNN_EVAL_CHUNK * train->row_bytes);
        run->chunk_labels = malloc(HDRNN_EVAL_CHUNK);
        if ((rc = hdrnn_reader_create(&run->reader, train, (size_t)run->max_batch, err)))
            return rc;
        run->iota = malloc(sizeof *run->iota * run->reader.block);
        if (!run->chunk_features || !run->chunk_labels || !run->iota) {
            hdrnn_error_set(err, "out of memory for the stream buffers");
            return HDRNN_EXIT_RESOURCE;
        }
        for (size_t i = 0; i < run->reader.block; i++)
            run->iota[i] = (uint32_t)i;
    }
    return HDRNN_OK;
}

void hdrnn_run_free(hdrnn_run *run)
{
    if (run->opts.stream)
        hdrnn_reader_free(&run->reader); /* first: its thread reads the data */
    free(run->order);
    free(run->chunk_features);
    free(run->chunk_labels);
    free(run->iota);
    hdrnn_dataset_free(&run->data);
    run->order = run->iota = NULL;
    run->chunk_features = run->chunk_labels = NULL;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int write_checkpoint(const hdrnn_run *run, const char *impl, const hdrnn_kernels *k,
                            int next_epoch, size_t next_batch, hdrnn_error *err);

/* After the batch of samples [s, next) of the order: the checkpoint every
 * --checkpoint-every batches (none after the last batch: the epoch's own follows). */
static int after_batch(const hdrnn_run *run, const char *impl, const hdrnn_kernels *k,
                       int epoch, size_t s, size_t next, hdrnn_error *err)
{
    const size_t every = (size_t)run->opts.checkpoint_every;
    const size_t done = s / (size_t)run->opts.batch + 1;
    if (every && done % every == 0 && next < run->data.train.count)
        return write_checkpoint(run, impl, k, epoch, done, err);
    return HDRNN_OK;
}

/* The rest of the epoch from sample s of the order in stream mode: the reader's blocks,
 * each cut into the same batches as in memory. */
static int train_stream(hdrnn_run *run, const char *impl, const hdrnn_kernels *k, int epoch,
                        size_t first, hdrnn_error *err)
{
    const size_t n = run->data.train.count, batch = (size_t)run->opts.batch;
    hdrnn_reader *r = &run->reader;
    size_t s = first * batch;
    if (s < n)
        hdrnn_reader_post(r, run->order + s, min_size(r->block, n - s));
    while (s < n) {
        hdrnn_split b;
        int rc = hdrnn_reader_take(r, &b, err);
        if (rc)
            return rc;
        const size_t end = s + b.count; /* the next block, read while this one trains */
        if (end < n)
            hdrnn_reader_post(r, run->order + end, min_size(r->block, n - end));
        for (size_t j = 0; j < b.count; j += batch) {
            const size_t count = min_size(batch, b.count - j);
            if ((rc = k->train_batch(k->ctx, &b, run->iota + j, (int)count, run->opts.lr,
                                     err)) ||
                (rc = after_batch(run, impl, k, epoch, s + j, s + j + count, err)))
                return rc;
        }
        s = end;
    }
    return HDRNN_OK;
}

/* One epoch from batch first (0: the epoch's shuffle first), with a checkpoint every
 * --checkpoint-every batches. */
static int train_epoch(hdrnn_run *run, const char *impl, const hdrnn_kernels *k, int epoch,
                       size_t first, hdrnn_error *err)
{
    const hdrnn_split *train = &run->data.train;
    const size_t batch = (size_t)run->opts.batch;
    if (first == 0)
        hdrnn_shuffle(&run->shuffle, run->order, train->count);
    if (run->opts.stream)
        return train_stream(run, impl, k, epoch, first, err);
    for (size_t s = first * batch; s < train->count; s += batch) {
        const size_t count = min_size(batch, train->count - s);
        const size_t next = s + count; /* the next batch, fetched while this one runs */
        int rc;
        if (next < train->count)
            hdrnn_prefetch_samples(train, run->order + next, min_size(batch, train->count - next));
        if ((rc = k->train_batch(k->ctx, train, run->order + s, (int)count, run->opts.lr, err)) ||
            (rc = after_batch(run, impl, k, epoch, s, next, err)))
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
        const size_t n = min_size(HDRNN_EVAL_CHUNK, test->count - s);
        size_t hits = 0;
        int rc;
        if (run->opts.stream) {
            hdrnn_split c;
            rc = hdrnn_split_gather(test, NULL, s, n, run->chunk_features, run->chunk_labels,
                                    &c, err);
            if (rc == HDRNN_OK)
                rc = k->evaluate(k->ctx, &c, 0, n, &hits, err);
        } else {
            rc = k->evaluate(k->ctx, test, s, n, &hits, err);
        }
        if (rc)
            return rc;
        *correct += hits;
    }
    return HDRNN_OK;
}

/* The contract's tensors, layers.{l}.weight [out, in] and layers.{l}.bias [out], over
 * the kernels' live storage (params gives it in the file's layout). */
typedef struct run_tensors {
    hdrnn_tensor_dest t[2 * (HDRNN_MAX_LAYERS - 1)];
    char names[2 * (HDRNN_MAX_LAYERS - 1)][32];
    int count;
} run_tensors;

static void tensors_of(const hdrnn_run *run, const hdrnn_kernels *k, run_tensors *rt)
{
    for (int l = 0; l < run->n_layers; l++) {
        const float *w, *b;
        k->params(k->ctx, l, &w, &b);
        hdrnn_tensor_names(l, rt->names[2 * l], rt->names[2 * l + 1], sizeof rt->names[0]);
        const size_t out = (size_t)run->sizes[l + 1], in = (size_t)run->sizes[l];
        rt->t[2 * l] = (hdrnn_tensor_dest){rt->names[2 * l], (float *)w, 2, {out, in}};
        rt->t[2 * l + 1] = (hdrnn_tensor_dest){rt->names[2 * l + 1], (float *)b, 1, {out, 0}};
    }
    rt->count = 2 * run->n_layers;
}

static int write_weights(const hdrnn_run *run, const hdrnn_kernels *k, const char *path,
                         const char *const *meta, hdrnn_error *err)
{
    run_tensors rt;
    tensors_of(run, k, &rt);
    hdrnn_tensor t[2 * (HDRNN_MAX_LAYERS - 1)];
    for (int i = 0; i < rt.count; i++)
        t[i] = (hdrnn_tensor){rt.t[i].name, rt.t[i].data, rt.t[i].rank,
                              {rt.t[i].shape[0], rt.t[i].shape[1]}};
    return hdrnn_safetensors_write(path, t, rt.count, meta, err);
}

/* A checkpoint names the run it belongs to (what decides the weights) and where to go
 * on: epoch next_epoch from batch next_batch. */
enum { CK_MARK, CK_IMPL, CK_HIDDEN, CK_BATCH, CK_LR, CK_SEED, CK_TRAIN, CK_LABELS,
       CK_FEATURES, CK_EPOCH, CK_NEXT, CK_BEST, CK_SINCE, CK_STOPPED, CK_KEYS };
static const char *const ck_keys[CK_KEYS] = {"hdrnn_checkpoint", "impl", "hidden", "batch",
                                             "lr", "seed", "train", "train_labels",
                                             "train_features", "next_epoch", "next_batch",
                                             "best_correct", "since_best", "stopped"};

/* FNV-1a, 64 bits, of the training labels in use: a checkpoint resumed on other data of
 * the same size and shape (a new import, another split) is refused. */
static uint64_t labels_fnv(const hdrnn_split *train)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < train->count; i++)
        h = (h ^ train->labels[i]) * 0x100000001b3ULL;
    return h;
}

static void identity(const hdrnn_run *run, const char *impl, char (*v)[HDRNN_META_VALUE])
{
    snprintf(v[CK_MARK], HDRNN_META_VALUE, "1");
    snprintf(v[CK_IMPL], HDRNN_META_VALUE, "%s", impl);
    size_t n = 0;
    v[CK_HIDDEN][0] = '\0';
    for (int i = 0; i < run->opts.n_hidden && n < HDRNN_META_VALUE; i++)
        n += (size_t)snprintf(v[CK_HIDDEN] + n, HDRNN_META_VALUE - n, i ? ",%d" : "%d",
                              run->opts.hidden[i]);
    snprintf(v[CK_BATCH], HDRNN_META_VALUE, "%d", run->opts.batch);
    snprintf(v[CK_LR], HDRNN_META_VALUE, "%.17g", run->opts.lr);
    snprintf(v[CK_SEED], HDRNN_META_VALUE, "%llu", (unsigned long long)run->opts.seed);
    snprintf(v[CK_TRAIN], HDRNN_META_VALUE, "%zu", run->data.train.count);
    snprintf(v[CK_LABELS], HDRNN_META_VALUE, "%016llx",
             (unsigned long long)labels_fnv(&run->data.train));
    snprintf(v[CK_FEATURES], HDRNN_META_VALUE, "%08lx", (unsigned long)run->features_crc);
}

static int write_checkpoint(const hdrnn_run *run, const char *impl, const hdrnn_kernels *k,
                            int next_epoch, size_t next_batch, hdrnn_error *err)
{
    char v[CK_KEYS][HDRNN_META_VALUE];
    identity(run, impl, v);
    snprintf(v[CK_EPOCH], HDRNN_META_VALUE, "%d", next_epoch);
    snprintf(v[CK_NEXT], HDRNN_META_VALUE, "%zu", next_batch);
    snprintf(v[CK_BEST], HDRNN_META_VALUE, "%lld", run->stop.best);
    snprintf(v[CK_SINCE], HDRNN_META_VALUE, "%lld", run->stop.since);
    snprintf(v[CK_STOPPED], HDRNN_META_VALUE, "%s", run->stop.stopped ? run->stop.stopped : "");
    const char *meta[2 * CK_KEYS + 1];
    for (int i = 0; i < CK_KEYS; i++)
        meta[2 * i] = ck_keys[i], meta[2 * i + 1] = v[i];
    meta[2 * CK_KEYS] = NULL;
    return write_weights(run, k, run->opts.checkpoint, meta, err);
}

static int parse_count(const char *text, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --resume-from: the weights, and the position after checking that the checkpoint was
 * written by this same run (implementation aside: any trainer may continue). */
static int resume(hdrnn_run *run, const char *impl, const hdrnn_kernels *k, int *epoch,
                  size_t *batch, hdrnn_error *err)
{
    const char *path = run->opts.resume_from;
    run_tensors rt;
    tensors_of(run, k, &rt);
    char got[CK_KEYS][HDRNN_META_VALUE], want[CK_KEYS][HDRNN_META_VALUE];
    int rc = hdrnn_safetensors_read_meta(path, rt.t, rt.count, ck_keys, got, CK_KEYS, err);
    if (rc)
        return rc;
    identity(run, impl, want);
    if (strcmp(got[CK_MARK], "1")) {
        hdrnn_error_set(err, "%s: not a checkpoint (weights only: use --weights-in)", path);
        return HDRNN_EXIT_DATA;
    }
    static const int same[] = {CK_HIDDEN, CK_BATCH, CK_SEED, CK_TRAIN, CK_LABELS,
                               CK_FEATURES};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (strcmp(got[same[i]], want[same[i]])) {
            hdrnn_error_set(err, "%s: a checkpoint of another run (%s %s, this run %s)", path,
                            ck_keys[same[i]], got[same[i]][0] ? got[same[i]] : "none",
                            want[same[i]]);
            return HDRNN_EXIT_DATA;
        }
    char *end;
    if (strtod(got[CK_LR], &end) != run->opts.lr || *end || !got[CK_LR][0]) {
        hdrnn_error_set(err, "%s: a checkpoint of another run (lr %s, this run %s)", path,
                        got[CK_LR], want[CK_LR]);
        return HDRNN_EXIT_DATA;
    }
    const size_t n_batches = (run->data.train.count + (size_t)run->opts.batch - 1) /
                             (size_t)run->opts.batch;
    long long e, b;
    if (parse_count(got[CK_EPOCH], 0x7fffffffLL, &e) || e < 1 ||
        parse_count(got[CK_NEXT], (long long)n_batches - 1, &b)) {
        hdrnn_error_set(err, "%s: a checkpoint with a bad position (epoch '%s', batch '%s')",
                        path, got[CK_EPOCH], got[CK_NEXT]);
        return HDRNN_EXIT_DATA;
    }
    *epoch = (int)e;
    *batch = (size_t)b;
    /* checkpoints from before early stopping have none of these: a fresh state */
    long long best = -1, since = 0;
    if ((got[CK_BEST][0] && strcmp(got[CK_BEST], "-1") &&
         parse_count(got[CK_BEST], (long long)run->data.test.count, &best)) ||
        (got[CK_SINCE][0] && parse_count(got[CK_SINCE], 0x7fffffffLL, &since))) {
        hdrnn_error_set(err, "%s: a checkpoint with a bad early-stopping state (best '%s', "
                        "since '%s')", path, got[CK_BEST], got[CK_SINCE]);
        return HDRNN_EXIT_DATA;
    }
    run->stop.best = best;
    run->stop.since = since;
    run->stop.stopped = !strcmp(got[CK_STOPPED], "target")     ? "target"
                        : !strcmp(got[CK_STOPPED], "patience") ? "patience"
                                                               : NULL;
    return HDRNN_OK;
}

/* After an epoch with `correct` of `total`: whether training stops here, and why. */
static const char *early_stop_after(hdrnn_run *run, size_t correct, size_t total)
{
    hdrnn_early_stop *st = &run->stop;
    if ((long long)correct > st->best) {
        st->best = (long long)correct;
        st->since = 0;
    } else {
        st->since++;
    }
    /* the same double division as the Python trainers' correct / total */
    if (run->opts.target_accuracy > 0 &&
        (double)correct / (double)total >= run->opts.target_accuracy)
        return "target";
    if (run->opts.patience > 0 && st->since >= run->opts.patience)
        return "patience";
    return NULL;
}

int hdrnn_run_train(hdrnn_run *run, const char *impl, const char *extra,
                    const hdrnn_kernels *k, hdrnn_error *err)
{
    int rc, first_epoch = run->opts.first_epoch;
    size_t first_batch = 0;
    run->stop = (hdrnn_early_stop){-1, 0, NULL};
    if (run->opts.weights_in) {
        run_tensors rt;
        tensors_of(run, k, &rt);
        if ((rc = hdrnn_safetensors_read(run->opts.weights_in, rt.t, rt.count, err)))
            return rc;
    }
    /* the features are named once: hashing them at every checkpoint would cost a pass
     * over the set each time */
    if ((run->opts.checkpoint || run->opts.resume_from) &&
        (rc = hdrnn_split_crc32(&run->data.train, &run->features_crc, err)))
        return rc;
    if (run->opts.resume_from && (rc = resume(run, impl, k, &first_epoch, &first_batch, err)))
        return rc;
    if (run->opts.checkpoint)
        hdrnn_safetensors_remove_stale(run->opts.checkpoint);
    if (run->opts.weights_out)
        hdrnn_safetensors_remove_stale(run->opts.weights_out);
    /* the order as the epochs before first_epoch left it (the shuffle stream is the
     * contract's whatever the weights); mid-epoch, that epoch's own shuffle too */
    for (int e = 1; e < first_epoch + (first_batch > 0); e++)
        hdrnn_shuffle(&run->shuffle, run->order, run->data.train.count);
    char info[1024];
    snprintf(info, sizeof info, "%s,\"denormals\":\"%s\"%s%s", hdrnn_build_info(), run->fpu,
             extra ? "," : "", extra ? extra : "");
    hdrnn_emit_start(impl, &run->opts, run->sizes, run->n_layers,
                     run->data.train.count, run->data.test.count, info);
    /* with --resume-from, --epochs is the whole run's, as when it started */
    const int last = run->opts.resume_from ? run->opts.epochs
                                           : run->opts.first_epoch + run->opts.epochs - 1;
    for (int epoch = first_epoch; epoch <= last && !run->stop.stopped;
         epoch++, first_batch = 0) {
        const double t0 = hdrnn_now();
        if ((rc = train_epoch(run, impl, k, epoch, first_batch, err)))
            return rc;
        const double t1 = hdrnn_now();
        size_t correct;
        if ((rc = evaluate(run, k, &correct, err)))
            return rc;
        hdrnn_emit_epoch(epoch, correct, run->data.test.count, t1 - t0, hdrnn_now() - t1);
        run->stop.stopped = early_stop_after(run, correct, run->data.test.count);
        if (run->opts.checkpoint && (rc = write_checkpoint(run, impl, k, epoch + 1, 0, err)))
            return rc;
    }
    if (run->opts.weights_out) {
        const char *meta[] = {"impl", impl, NULL};
        if ((rc = write_weights(run, k, run->opts.weights_out, meta, err)))
            return rc;
    }
    hdrnn_emit_done(hdrnn_now() - run->t_start, run->stop.stopped);
    return HDRNN_OK;
}
