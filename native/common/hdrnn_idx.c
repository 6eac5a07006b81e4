#define _POSIX_C_SOURCE 200809L /* open flags, pread */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdrnn_contract.h"
#include "hdrnn_idx.h"

#define LABELS_MAGIC 0x00000801u /* unsigned byte, 1 dimension */
#define MAX_DIMS 4               /* samples and up to 3 feature dimensions */
#define SCAN_BYTES (64 * 1024)   /* what checking a float32 file holds at a time */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IDX float32 is big endian: to native order in place. */
static void f32_from_be(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4) {
        const uint32_t v = be32(p);
        memcpy(p, &v, 4);
    }
}

/* Read exactly n bytes at off; -1 on an error or a short read. */
static int pread_all(int fd, void *buf, size_t n, long long off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r, off += r;
    }
    return 0;
}

/* Open path (a regular file only) and read its first `want` header bytes (fewer if the
 * file is shorter: *got says how many). -1 with err set. */
static int open_idx(const char *path, uint8_t *header, size_t want, size_t *got,
                    long long *size, hdrnn_error *err)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            hdrnn_error_set(err, "%s: missing file", path);
        else
            hdrnn_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hdrnn_error_set(err, "%s: not a regular file (a directory, device or pipe), not an "
                        "IDX file", path);
        close(fd);
        return -1;
    }
    *size = (long long)st.st_size;
    *got = *size < (long long)want ? (size_t)*size : want;
    if (pread_all(fd, header, *got, 0)) {
        hdrnn_error_set(err, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
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

/* The features header: magic 0x0000TTDD (TT 0x08 or 0x0D, DD 2..4 dimensions), the
 * sample count, the feature dimensions. Sets s's layout and *n; fd open or -1. */
static int open_features(hdrnn_split *s, const char *path, uint32_t *n, long long *size,
                         hdrnn_error *err)
{
    uint8_t h[4 + 4 * MAX_DIMS];
    size_t got;
    int fd = open_idx(path, h, sizeof h, &got, size, err);
    if (fd < 0)
        return HDRNN_EXIT_DATA;
    s->fd = fd;
    const uint32_t magic = got >= 4 ? be32(h) : 0;
    const unsigned type = magic >> 8, dims = magic & 0xffu;
    if (got < 8) {
        hdrnn_error_set(err, "%s: truncated header (%lld bytes, need at least 8)", path,
                        *size);
        return HDRNN_EXIT_DATA;
    }
    if ((type != HDRNN_DTYPE_U8 && type != HDRNN_DTYPE_F32) || dims < 2 || dims > MAX_DIMS) {
        hdrnn_error_set(err, "%s: wrong magic 0x%08x (features need 0x000008DD, unsigned "
                        "byte, or 0x00000dDD, float32, with DD 2 to %d dimensions)", path,
                        magic, MAX_DIMS);
        return HDRNN_EXIT_DATA;
    }
    const size_t header_len = 4 + 4 * (size_t)dims;
    if (got < header_len) {
        hdrnn_error_set(err, "%s: truncated header (%lld bytes, need %zu)", path, *size,
                        header_len);
        return HDRNN_EXIT_DATA;
    }
    long long width = 1;
    for (unsigned d = 1; d < dims; d++) {
        width *= be32(h + 4 + 4 * d);
        if (width < 1 || width > HDRNN_MAX_LAYER_WIDTH) {
            hdrnn_error_set(err, "%s: %s features per sample (need 1 to %d)", path,
                            width < 1 ? "no" : "too many", HDRNN_MAX_LAYER_WIDTH);
            return HDRNN_EXIT_DATA;
        }
    }
    s->dtype = (hdrnn_dtype)type;
    s->width = (int)width;
    s->row_bytes = (size_t)width * (type == HDRNN_DTYPE_F32 ? 4 : 1);
    s->offset = (long long)header_len;
    *n = be32(h + 4);
    return check_size(path, *size, (long long)header_len, *n, (long long)s->row_bytes, err);
}

/* The first value of v[0..m) that is not finite, as an error at sample (first + i) /
 * width: HDRNN_EXIT_DATA, else HDRNN_OK. first counts values from sample 0. */
static int check_finite(const hdrnn_split *s, const uint8_t *v, size_t first, size_t m,
                        hdrnn_error *err)
{
    for (size_t i = 0; i < m; i++) {
        float x;
        memcpy(&x, v + 4 * i, 4);
        if (!isfinite(x)) {
            const size_t at = first + i;
            hdrnn_error_set(err, "%s: %s at sample %zu, feature %zu (features must be "
                            "finite)", s->path, isnan(x) ? "NaN" : "inf",
                            at / (size_t)s->width, at % (size_t)s->width);
            return HDRNN_EXIT_DATA;
        }
    }
    return HDRNN_OK;
}

/* float32 features from sample `from` to the end of the file (n samples) checked in
 * chunks: the part not held in memory. */
static int check_finite_file(const hdrnn_split *s, size_t from, uint32_t n, hdrnn_error *err)
{
    uint8_t *buf = malloc(SCAN_BYTES);
    if (!buf) {
        hdrnn_error_set(err, "out of memory checking %s", s->path);
        return HDRNN_EXIT_RESOURCE;
    }
    const size_t total = (size_t)n * (size_t)s->width, per = SCAN_BYTES / 4;
    int rc = HDRNN_OK;
    for (size_t first = from * (size_t)s->width; rc == HDRNN_OK && first < total;
         first += per) {
        const size_t m = total - first < per ? total - first : per;
        if (pread_all(s->fd, buf, 4 * m, s->offset + 4 * (long long)first)) {
            hdrnn_error_set(err, "%s: read error", s->path);
            rc = HDRNN_EXIT_DATA;
        } else {
            f32_from_be(buf, m);
            rc = check_finite(s, buf, first, m, err);
        }
    }
    free(buf);
    return rc;
}

/* The features of path: checked whole; the first *count (limit) samples read into memory
 * unless stream. */
static int load_features(hdrnn_split *s, const char *path, size_t limit, int stream,
                         uint32_t *n_full, hdrnn_error *err)
{
    long long size;
    s->fd = -1;
    if (!(s->path = strdup(path))) {
        hdrnn_error_set(err, "out of memory");
        return HDRNN_EXIT_RESOURCE;
    }
    int rc = open_features(s, path, n_full, &size, err);
    if (rc)
        return rc;
    s->count = (limit && limit < *n_full) ? limit : *n_full;
    const int f32 = s->dtype == HDRNN_DTYPE_F32;
    if (stream) /* the file stays open for pread */
        return f32 ? check_finite_file(s, 0, *n_full, err) : HDRNN_OK;
    s->features = malloc(s->count * s->row_bytes + 1); /* one spare byte: never 0 bytes */
    if (!s->features) {
        hdrnn_error_set(err, "out of memory for %zu samples of %s", s->count, path);
        return HDRNN_EXIT_RESOURCE;
    }
    if (pread_all(s->fd, s->features, s->count * s->row_bytes, s->offset)) {
        hdrnn_error_set(err, "%s: read error", path);
        return HDRNN_EXIT_DATA;
    }
    if (f32) { /* the samples in memory checked there, the rest of the file read */
        f32_from_be(s->features, s->count * (size_t)s->width);
        if ((rc = check_finite(s, s->features, 0, s->count * (size_t)s->width, err)) ||
            (rc = check_finite_file(s, s->count, *n_full, err)))
            return rc;
    }
    close(s->fd);
    s->fd = -1;
    return HDRNN_OK;
}

/* All n labels of path (every one is read, whatever the limit) into *out; *max their
 * largest. */
static int read_labels(const char *path, uint8_t **out, uint32_t *n, unsigned *max,
                       hdrnn_error *err)
{
    uint8_t h[8];
    size_t got;
    long long size;
    int fd = open_idx(path, h, sizeof h, &got, &size, err);
    if (fd < 0)
        return HDRNN_EXIT_DATA;
    int rc = HDRNN_EXIT_DATA;
    if (got < sizeof h)
        hdrnn_error_set(err, "%s: truncated header (%lld bytes, need 8)", path, size);
    else if (be32(h) != LABELS_MAGIC)
        hdrnn_error_set(err, "%s: wrong magic 0x%08x (labels need 0x%08x)", path, be32(h),
                        LABELS_MAGIC);
    else
        rc = check_size(path, size, 8, *n = be32(h + 4), 1, err);
    if (rc == HDRNN_OK && !(*out = malloc((size_t)*n + 1))) {
        hdrnn_error_set(err, "out of memory for %u labels of %s", *n, path);
        rc = HDRNN_EXIT_RESOURCE;
    }
    if (rc == HDRNN_OK && pread_all(fd, *out, *n, 8)) {
        hdrnn_error_set(err, "%s: read error", path);
        rc = HDRNN_EXIT_DATA;
    }
    close(fd);
    *max = 0;
    for (uint32_t i = 0; rc == HDRNN_OK && i < *n; i++)
        *max = (*out)[i] > *max ? (*out)[i] : *max;
    return rc;
}

/* Labels must be below classes: the first one that is not, as an error. */
static int check_labels(const uint8_t *labels, uint32_t n, int classes, const char *path,
                        hdrnn_error *err)
{
    for (uint32_t i = 0; i < n; i++)
        if (labels[i] >= classes) {
            hdrnn_error_set(err, "%s: label %u at index %u outside the %d classes of "
                            "--classes", path, labels[i], i, classes);
            return HDRNN_EXIT_DATA;
        }
    return HDRNN_OK;
}

static int load_split(hdrnn_split *s, const char *dir, const char *features,
                      const char *labels, size_t limit, int stream, int classes,
                      unsigned *max_label, hdrnn_error *err)
{
    char fp[4096], lp[4096];
    uint32_t n_feat = 0, n_lab = 0;
    snprintf(fp, sizeof fp, "%s/%s", dir, features);
    snprintf(lp, sizeof lp, "%s/%s", dir, labels);
    int rc = load_features(s, fp, limit, stream, &n_feat, err);
    if (rc == HDRNN_OK)
        rc = read_labels(lp, &s->labels, &n_lab, max_label, err);
    if (rc == HDRNN_OK && classes)
        rc = check_labels(s->labels, n_lab, classes, lp, err);
    /* whole files are compared, before any limit */
    if (rc == HDRNN_OK && n_lab != n_feat) {
        hdrnn_error_set(err, "%s: %u labels but %s has %u samples", lp, n_lab, fp, n_feat);
        rc = HDRNN_EXIT_DATA;
    }
    return rc;
}

int hdrnn_dataset_load(hdrnn_dataset *ds, const char *dir, size_t train_limit,
                       size_t test_limit, int classes, int stream, hdrnn_error *err)
{
    static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    struct stat st;
    memset(ds, 0, sizeof *ds);
    ds->train.fd = ds->test.fd = -1;
    ds->stream = stream;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        hdrnn_error_set(err, "%s: data directory not found", dir);
        return HDRNN_EXIT_DATA;
    }
    unsigned max_train = 0, max_test = 0;
    int rc = load_split(&ds->train, dir, names[0], names[1], train_limit, stream, classes,
                        &max_train, err);
    if (rc == HDRNN_OK)
        rc = load_split(&ds->test, dir, names[2], names[3], test_limit, stream, classes,
                        &max_test, err);
    const hdrnn_split *tr = &ds->train, *te = &ds->test;
    if (rc == HDRNN_OK && (te->width != tr->width || te->dtype != tr->dtype)) {
        hdrnn_error_set(err, "%s/%s: %d %s features per sample, but the training set has "
                        "%d %s", dir, names[2], te->width,
                        te->dtype == HDRNN_DTYPE_F32 ? "float32" : "uint8", tr->width,
                        tr->dtype == HDRNN_DTYPE_F32 ? "float32" : "uint8");
        rc = HDRNN_EXIT_DATA;
    }
    /* no samples: nothing to train on, and an accuracy of 0 / 0 */
    if (rc == HDRNN_OK && (!tr->count || !te->count)) {
        hdrnn_error_set(err, "%s/%s: no samples", dir, names[tr->count ? 2 : 0]);
        rc = HDRNN_EXIT_DATA;
    }
    if (rc == HDRNN_OK) {
        const unsigned max = max_train > max_test ? max_train : max_test;
        ds->classes = classes ? classes : (int)max + 1;
        if (ds->classes < 2) {
            hdrnn_error_set(err, "%s/%s: every label is 0: a classifier needs at least 2 "
                            "classes (or --classes)", dir, names[1]);
            rc = HDRNN_EXIT_DATA;
        }
    }
    if (rc != HDRNN_OK)
        hdrnn_dataset_free(ds);
    return rc;
}

static void split_free(hdrnn_split *s)
{
    free(s->features);
    free(s->labels);
    free(s->path);
    if (s->fd >= 0)
        close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

void hdrnn_dataset_free(hdrnn_dataset *ds)
{
    split_free(&ds->train);
    split_free(&ds->test);
}

int hdrnn_split_gather(const hdrnn_split *s, const uint32_t *idx, size_t first, size_t count,
                       uint8_t *features, uint8_t *labels, hdrnn_split *out,
                       hdrnn_error *err)
{
    const size_t row = s->row_bytes;
    *out = *s;
    out->features = features;
    out->labels = labels;
    out->count = count;
    out->fd = -1;
    int bad = 0;
    if (!idx) /* a contiguous range: one read */
        bad = pread_all(s->fd, features, count * row, s->offset + (long long)(first * row));
    for (size_t k = 0; idx && k < count && !bad; k++)
        bad = pread_all(s->fd, features + k * row, row,
                        s->offset + (long long)idx[k] * (long long)row);
    if (bad) {
        hdrnn_error_set(err, "%s: read error (changed while training?)", s->path);
        return HDRNN_EXIT_DATA;
    }
    if (s->dtype == HDRNN_DTYPE_F32)
        f32_from_be(features, count * (size_t)s->width);
    for (size_t k = 0; k < count; k++)
        labels[k] = s->labels[idx ? idx[k] : first + k];
    return HDRNN_OK;
}

/* zlib's CRC-32 (reflected, polynomial 0xedb88320), one byte at a time: 7 instructions a
 * byte on the Cortex-A9 with the table in static storage (12 with it in a large stack
 * frame, addressed through it). Filled by each call: one a run, before the reader. */
static uint32_t crc_table[256];

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

int hdrnn_split_crc32(const hdrnn_split *s, uint32_t *crc, hdrnn_error *err)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    uint32_t c = 0xffffffffu;
    const size_t total = s->count * s->row_bytes;
    if (!s->features) { /* stream mode: the file's bytes are already as stored */
        uint8_t buf[SCAN_BYTES / 4];
        for (size_t done = 0; done < total;) {
            const size_t n = total - done < sizeof buf ? total - done : sizeof buf;
            if (pread_all(s->fd, buf, n, s->offset + (long long)done)) {
                hdrnn_error_set(err, "%s: read error", s->path); /* at start, not training */
                return HDRNN_EXIT_DATA;
            }
            c = crc32_update(c, buf, n);
            done += n;
        }
    } else if (s->dtype == HDRNN_DTYPE_F32) { /* native floats back to the file's order */
        for (size_t i = 0; i < total; i += 4) {
            uint32_t v;
            memcpy(&v, s->features + i, 4);
            const uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                                   (uint8_t)v};
            c = crc32_update(c, be, 4);
        }
    } else {
        c = crc32_update(c, s->features, total);
    }
    *crc = c ^ 0xffffffffu;
    return HDRNN_OK;
}

void hdrnn_prefetch_samples(const hdrnn_split *split, const uint32_t *idx, size_t count)
{
#if defined(__GNUC__)
    if (!split->features)
        return;
    const size_t row = split->row_bytes;
    for (size_t k = 0; k < count; k++) {
        const uint8_t *p = split->features + (size_t)idx[k] * row;
        for (size_t off = 0; off < row; off += 64)
            __builtin_prefetch(p + off, 0, 2);
        __builtin_prefetch(p + row - 1, 0, 2);
    }
#else
    (void)split, (void)idx, (void)count;
#endif
}
