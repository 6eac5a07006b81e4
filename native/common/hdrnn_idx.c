#define _POSIX_C_SOURCE 200809L /* open flags, fdopen */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdrnn_idx.h"

#define IMAGES_MAGIC 0x00000803u /* unsigned byte, 3 dimensions */
#define ROWS 28
#define COLS 28
#define PIXELS (ROWS * COLS)
_Static_assert(PIXELS == HDRNN_INPUTS, "the contract's input width is an MNIST image");
#define LABELS_MAGIC 0x00000801u /* unsigned byte, 1 dimension */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Open path, read its header (header_len bytes) and check its magic; sets *size to the
 * file size and *count to the header's item count. NULL with err set on failure. */
static FILE *open_idx(const char *path, uint8_t *header, size_t header_len, uint32_t magic,
                      const char *what, long long *size, uint32_t *count, hdrnn_error *err)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            hdrnn_error_set(err, "%s: missing file", path);
        else
            hdrnn_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hdrnn_error_set(err, "%s: not a regular file (a directory, device or pipe), not an "
                        "IDX file", path);
        close(fd);
        return NULL;
    }
    FILE *f = fcntl(fd, F_SETFL, 0) == 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        hdrnn_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (long long)st.st_size;
    if (*size < (long long)header_len || fread(header, 1, header_len, f) != header_len) {
        hdrnn_error_set(err, "%s: truncated header (%lld bytes, need %zu)", path, *size,
                        header_len);
        fclose(f);
        return NULL;
    }
    if (be32(header) != magic) {
        hdrnn_error_set(err, "%s: wrong magic 0x%08x (%s need 0x%08x)", path, be32(header),
                        what, magic);
        fclose(f);
        return NULL;
    }
    *count = be32(header + 4);
    return f;
}

/* *out = the next count items of item bytes from f (one spare byte, so never 0 bytes). */
static int read_items(FILE *f, const char *path, size_t count, size_t item, uint8_t **out,
                      hdrnn_error *err)
{
    *out = malloc(count * item + 1);
    if (!*out) {
        hdrnn_error_set(err, "out of memory for %zu items of %s", count, path);
        return HDRNN_EXIT_RESOURCE;
    }
    if (fread(*out, item, count, f) != count) {
        hdrnn_error_set(err, "%s: read error", path);
        return HDRNN_EXIT_DATA;
    }
    return HDRNN_OK;
}

static int check_size(const char *path, long long size, long long header_len,
                      uint32_t count, long long item, hdrnn_error *err)
{
    long long want = header_len + (long long)count * item;
    if (size < want) {
        hdrnn_error_set(err, "%s: truncated: %lld bytes, header says %u items (%lld bytes)",
                        path, size, count, want);
        return HDRNN_EXIT_DATA;
    }
    if (size > want) {
        hdrnn_error_set(err, "%s: %lld trailing bytes after %u items", path, size - want,
                        count);
        return HDRNN_EXIT_DATA;
    }
    return HDRNN_OK;
}

static int read_images(const char *path, size_t limit, uint8_t **out, size_t *count,
                       size_t *full_count, hdrnn_error *err)
{
    uint8_t h[16];
    long long size;
    uint32_t n;
    FILE *f = open_idx(path, h, sizeof h, IMAGES_MAGIC, "images", &size, &n, err);
    if (!f)
        return HDRNN_EXIT_DATA;
    const uint32_t rows = be32(h + 8), cols = be32(h + 12);
    int rc;
    if (rows != ROWS || cols != COLS) {
        hdrnn_error_set(err, "%s: wrong dimensions %ux%u (need %dx%d)", path, rows, cols, ROWS,
                        COLS);
        rc = HDRNN_EXIT_DATA;
    } else {
        rc = check_size(path, size, 16, n, PIXELS, err);
    }
    if (rc == HDRNN_OK) { /* only the first `limit` images are read */
        *full_count = n;
        *count = (limit && limit < n) ? limit : n;
        rc = read_items(f, path, *count, PIXELS, out, err);
    }
    fclose(f);
    return rc;
}

/* All n labels of path (every one is checked, whatever the limit) into *out. */
static int read_labels(const char *path, uint8_t **out, uint32_t *n, hdrnn_error *err)
{
    uint8_t h[8];
    long long size;
    FILE *f = open_idx(path, h, sizeof h, LABELS_MAGIC, "labels", &size, n, err);
    if (!f)
        return HDRNN_EXIT_DATA;
    int rc = check_size(path, size, 8, *n, 1, err);
    if (rc == HDRNN_OK)
        rc = read_items(f, path, *n, 1, out, err);
    fclose(f);
    for (uint32_t i = 0; rc == HDRNN_OK && i < *n; i++) {
        if ((*out)[i] >= HDRNN_CLASSES) {
            hdrnn_error_set(err, "%s: label %u > %d at index %u", path, (*out)[i],
                            HDRNN_CLASSES - 1, i);
            rc = HDRNN_EXIT_DATA;
        }
    }
    return rc;
}

static int load_split(hdrnn_split *s, const char *dir, const char *images,
                      const char *labels, size_t limit, hdrnn_error *err)
{
    char ip[4096], lp[4096];
    size_t n_img = 0, n_img_full = 0;
    uint32_t n_lab_full = 0;
    snprintf(ip, sizeof ip, "%s/%s", dir, images);
    snprintf(lp, sizeof lp, "%s/%s", dir, labels);
    int rc = read_images(ip, limit, &s->images, &n_img, &n_img_full, err);
    if (rc != HDRNN_OK)
        return rc;
    rc = read_labels(lp, &s->labels, &n_lab_full, err);
    if (rc != HDRNN_OK)
        return rc;
    /* whole files are compared, before any limit */
    if (n_lab_full != n_img_full) {
        hdrnn_error_set(err, "%s: %u labels but %s has %zu images", lp, n_lab_full, ip,
                        n_img_full);
        return HDRNN_EXIT_DATA;
    }
    s->count = n_img;
    s->width = PIXELS;
    return HDRNN_OK;
}

int hdrnn_dataset_load(hdrnn_dataset *ds, const char *dir, size_t train_limit,
                       size_t test_limit, hdrnn_error *err)
{
    struct stat st;
    memset(ds, 0, sizeof *ds);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        hdrnn_error_set(err, "%s: data directory not found", dir);
        return HDRNN_EXIT_DATA;
    }
    int rc = load_split(&ds->train, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        train_limit, err);
    if (rc == HDRNN_OK)
        rc = load_split(&ds->test, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                        test_limit, err);
    /* no samples: nothing to train on, and an accuracy of 0 / 0 */
    if (rc == HDRNN_OK && (!ds->train.count || !ds->test.count)) {
        hdrnn_error_set(err, "%s/%s: no samples", dir, ds->train.count ?
                        "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte");
        rc = HDRNN_EXIT_DATA;
    }
    if (rc != HDRNN_OK)
        hdrnn_dataset_free(ds);
    return rc;
}

void hdrnn_dataset_free(hdrnn_dataset *ds)
{
    free(ds->train.images);
    free(ds->train.labels);
    free(ds->test.images);
    free(ds->test.labels);
    memset(ds, 0, sizeof *ds);
}

void hdrnn_prefetch_images(const hdrnn_split *split, const uint32_t *idx, size_t count)
{
#if defined(__GNUC__)
    const size_t width = (size_t)split->width;
    for (size_t k = 0; k < count; k++) {
        const uint8_t *img = split->images + (size_t)idx[k] * width;
        for (size_t off = 0; off < width; off += 64)
            __builtin_prefetch(img + off, 0, 2);
        __builtin_prefetch(img + width - 1, 0, 2);
    }
#else
    (void)split, (void)idx, (void)count;
#endif
}
