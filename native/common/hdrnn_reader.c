#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hdrnn_contract.h"
#include "hdrnn_reader.h"

static void fill(hdrnn_reader *r)
{
    r->rc = hdrnn_split_gather(r->src, r->idx, 0, r->count, r->features[r->slot],
                               r->labels[r->slot], &r->out, &r->err);
}

static void *worker(void *arg)
{
    hdrnn_reader *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->quit && !r->pending)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->quit)
            break;
        pthread_mutex_unlock(&r->mu);
        fill(r); /* the request's fields are not touched until ready */
        pthread_mutex_lock(&r->mu);
        r->pending = 0;
        r->ready = 1;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int hdrnn_reader_create(hdrnn_reader *r, const hdrnn_split *src, size_t batch,
                        hdrnn_error *err)
{
    memset(r, 0, sizeof *r);
    r->src = src;
    const size_t batches = HDRNN_READER_BYTES / (batch * src->row_bytes);
    r->block = (batches ? batches : 1) * batch;
    for (int s = 0; s < 2; s++) {
        r->features[s] = malloc(r->block * src->row_bytes);
        r->labels[s] = malloc(r->block);
        if (!r->features[s] || !r->labels[s]) {
            hdrnn_error_set(err, "out of memory for the stream buffers");
            return HDRNN_EXIT_RESOURCE;
        }
    }
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return HDRNN_OK;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, worker, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        return HDRNN_OK; /* no thread: read in line */
    }
    r->threaded = 1;
    return HDRNN_OK;
}

void hdrnn_reader_free(hdrnn_reader *r)
{
    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        r->quit = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        r->threaded = 0;
    }
    for (int s = 0; s < 2; s++) {
        free(r->features[s]);
        free(r->labels[s]);
        r->features[s] = r->labels[s] = NULL;
    }
}

void hdrnn_reader_post(hdrnn_reader *r, const uint32_t *idx, size_t count)
{
    if (r->threaded)
        pthread_mutex_lock(&r->mu);
    r->idx = idx;
    r->count = count;
    r->slot ^= 1;
    r->ready = 0;
    r->pending = 1;
    if (r->threaded) {
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

int hdrnn_reader_take(hdrnn_reader *r, hdrnn_split *batch, hdrnn_error *err)
{
    if (!r->threaded) {
        fill(r);
        r->pending = 0;
    } else {
        pthread_mutex_lock(&r->mu);
        while (!r->ready)
            pthread_cond_wait(&r->cv, &r->mu);
        r->ready = 0;
        pthread_mutex_unlock(&r->mu);
    }
    *batch = r->out;
    if (r->rc)
        *err = r->err;
    return r->rc;
}
