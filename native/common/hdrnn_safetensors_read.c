/* Reading the contract's weights files back (--weights-in): a strict safetensors reader
 * for float32 tensors of known names and shapes. The header is JSON; only what the
 * format needs is parsed, and every length and offset is checked against the file
 * before anything is copied. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdrnn_contract.h"
#include "hdrnn_safetensors.h"

#define MAX_HEADER (100u << 20) /* the format's own limit */
#define MAX_DEPTH 64
#define MAX_DIMS 8

typedef struct json {
    const char *p, *end;
} json;

typedef struct found {
    int seen;
    int rank;
    uint64_t shape[MAX_DIMS];
    uint64_t begin, end;
    int f32;
} found;

static void skip_ws(json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int expect(json *j, char c)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != c)
        return -1;
    j->p++;
    return 0;
}

/* After a member or an element: 1 (and past the comma) when another follows, 0 (and past
 * the closing bracket) when the container ends, -1 for anything else. */
static int more(json *j, char close)
{
    skip_ws(j);
    if (j->p < j->end && *j->p == ',') {
        j->p++;
        return 1;
    }
    return expect(j, close) ? -1 : 0;
}

/* A string: its raw bytes between the quotes (escapes left as they are). */
static int string(json *j, const char **s, size_t *n)
{
    if (expect(j, '"'))
        return -1;
    *s = j->p;
    while (j->p < j->end && *j->p != '"') {
        if ((unsigned char)*j->p < 0x20)
            return -1;
        if (*j->p == '\\' && ++j->p >= j->end)
            return -1;
        j->p++;
    }
    if (j->p >= j->end)
        return -1;
    *n = (size_t)(j->p - *s);
    j->p++;
    return 0;
}

/* A non-negative integer below 2^53, as the format writes sizes and offsets. */
static int uint_value(json *j, uint64_t *v)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return -1;
    *v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        *v = *v * 10 + (uint64_t)(*j->p++ - '0');
        if (*v >= (1ull << 53))
            return -1;
    }
    return 0;
}

static int skip_value(json *j, int depth)
{
    skip_ws(j);
    if (j->p >= j->end || depth > MAX_DEPTH)
        return -1;
    const char c = *j->p;
    if (c == '"') {
        const char *s;
        size_t n;
        return string(j, &s, &n);
    }
    if (c == '{' || c == '[') {
        const char close = c == '{' ? '}' : ']';
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == close)
            return j->p++, 0;
        for (;;) {
            if (c == '{') {
                const char *s;
                size_t n;
                if (string(j, &s, &n) || expect(j, ':'))
                    return -1;
            }
            if (skip_value(j, depth + 1))
                return -1;
            const int m = more(j, close);
            if (m <= 0)
                return m;
        }
    }
    /* a number, true, false or null: its characters */
    const char *start = j->p;
    while (j->p < j->end && strchr("+-.0123456789eEtruefalsn", *j->p))
        j->p++;
    return j->p > start ? 0 : -1;
}

/* [u, u, ...] into v (at most max), *n the count. */
static int uint_array(json *j, uint64_t *v, int max, int *n)
{
    *n = 0;
    if (expect(j, '['))
        return -1;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']')
        return j->p++, 0;
    for (;;) {
        if (*n == max || uint_value(j, &v[(*n)++]))
            return -1;
        const int m = more(j, ']');
        if (m <= 0)
            return m;
    }
}

static int is_key(const char *s, size_t n, const char *key)
{
    return n == strlen(key) && !memcmp(s, key, n);
}

/* One tensor's entry: {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static int tensor_entry(json *j, found *f)
{
    int have_shape = 0, have_offsets = 0, have_dtype = 0;
    if (expect(j, '{'))
        return -1;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}')
        return -1;
    for (;;) {
        const char *k;
        size_t kn;
        if (string(j, &k, &kn) || expect(j, ':'))
            return -1;
        if (is_key(k, kn, "dtype")) {
            const char *v;
            size_t vn;
            if (string(j, &v, &vn))
                return -1;
            f->f32 = is_key(v, vn, "F32");
            have_dtype = 1;
        } else if (is_key(k, kn, "shape")) {
            if (uint_array(j, f->shape, MAX_DIMS, &f->rank))
                return -1;
            have_shape = 1;
        } else if (is_key(k, kn, "data_offsets")) {
            uint64_t o[2];
            int n;
            if (uint_array(j, o, 2, &n) || n != 2)
                return -1;
            f->begin = o[0], f->end = o[1];
            have_offsets = 1;
        } else if (skip_value(j, 1)) {
            return -1;
        }
        const int m = more(j, '}');
        if (m <= 0)
            return m < 0 || !(have_shape && have_offsets && have_dtype) ? -1 : 0;
    }
}

static void swap_floats(uint8_t *b, size_t n)
{
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1)
        return;
    for (size_t i = 0; i < n; i++, b += 4) {
        uint8_t t = b[0];
        b[0] = b[3], b[3] = t, t = b[1], b[1] = b[2], b[2] = t;
    }
}

/* Host byte order in place; then every value must be finite (a NaN or inf weight would
 * train nothing but NaN). */
static int finite_values(const char *path, const char *name, uint8_t *b, size_t n,
                         hdrnn_error *err)
{
    swap_floats(b, n);
    for (size_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, b + 4 * i, sizeof v);
        if (!isfinite(v)) {
            hdrnn_error_set(err, "%s: tensor %s holds NaN or inf (element %zu)", path, name, i);
            return HDRNN_EXIT_DATA;
        }
    }
    return HDRNN_OK;
}

static int read_all(const char *path, uint8_t **buf, size_t *size, hdrnn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        hdrnn_error_set(err, "%s: cannot read weights: %s", path, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? HDRNN_EXIT_DATA : HDRNN_EXIT_RESOURCE;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        hdrnn_error_set(err, "%s: not a regular file", path);
        close(fd);
        return HDRNN_EXIT_DATA;
    }
    *size = (size_t)st.st_size;
    if ((off_t)*size != st.st_size || !(*buf = malloc(*size ? *size : 1))) {
        hdrnn_error_set(err, "%s: out of memory for the weights file", path);
        close(fd);
        return HDRNN_EXIT_RESOURCE;
    }
    size_t got = 0;
    while (got < *size) {
        ssize_t r = read(fd, *buf + got, *size - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            hdrnn_error_set(err, "%s: cannot read weights: %s", path,
                            r < 0 ? strerror(errno) : "the file shrank while being read");
            free(*buf);
            close(fd);
            return HDRNN_EXIT_RESOURCE;
        }
        got += (size_t)r;
    }
    close(fd);
    return HDRNN_OK;
}

typedef struct meta_want {
    const char *const *keys;
    char (*values)[HDRNN_META_VALUE];
    int n;
} meta_want;

/* The __metadata__ object: the wanted keys' string values, the rest skipped. */
static int metadata(json *j, const meta_want *m)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != '{')
        return skip_value(j, 1);
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}')
        return j->p++, 0;
    for (;;) {
        const char *k, *v;
        size_t kn, vn;
        if (string(j, &k, &kn) || expect(j, ':'))
            return -1;
        int i = 0;
        while (i < m->n && !is_key(k, kn, m->keys[i]))
            i++;
        skip_ws(j);
        if (i < m->n && j->p < j->end && *j->p == '"') {
            if (string(j, &v, &vn) || vn >= HDRNN_META_VALUE || memchr(v, '\\', vn))
                return -1;
            memcpy(m->values[i], v, vn);
            m->values[i][vn] = '\0';
        } else if (skip_value(j, 1)) {
            return -1;
        }
        const int m = more(j, '}');
        if (m <= 0)
            return m;
    }
}

/* Parse the header into f[] (one per dest); HDRNN_OK or an exit code with err set. */
static int check_header(const char *path, const uint8_t *buf, size_t size,
                        const hdrnn_tensor_dest *dest, int count, const meta_want *m,
                        found *f, uint64_t *base, hdrnn_error *err)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0 && size >= 8; i--)
        n = n << 8 | buf[i];
    if (size < 8 || n > MAX_HEADER || n > size - 8) {
        hdrnn_error_set(err, "%s: not a safetensors file (no valid header)", path);
        return HDRNN_EXIT_DATA;
    }
    *base = 8 + n;
    json j = {(const char *)buf + 8, (const char *)buf + 8 + n};
    if (expect(&j, '{'))
        goto bad;
    skip_ws(&j);
    if (j.p < j.end && *j.p == '}')
        j.p++;
    else
        for (;;) {
            const char *k;
            size_t kn;
            if (string(&j, &k, &kn) || expect(&j, ':'))
                goto bad;
            if (is_key(k, kn, "__metadata__")) {
                if (metadata(&j, m))
                    goto bad;
            } else {
                int i = 0;
                while (i < count && !is_key(k, kn, dest[i].name))
                    i++;
                if (i == count) {
                    hdrnn_error_set(err, "%s: unexpected tensor '%.*s' (the network has no "
                                    "such parameter)", path, (int)(kn > 64 ? 64 : kn), k);
                    return HDRNN_EXIT_DATA;
                }
                if (f[i].seen) {
                    hdrnn_error_set(err, "%s: tensor %s appears twice", path, dest[i].name);
                    return HDRNN_EXIT_DATA;
                }
                if (tensor_entry(&j, &f[i]))
                    goto bad;
                f[i].seen = 1;
            }
            const int m = more(&j, '}');
            if (m < 0)
                goto bad;
            if (!m)
                break;
        }
    skip_ws(&j);
    if (j.p != j.end)
        goto bad;
    return HDRNN_OK;
bad:
    hdrnn_error_set(err, "%s: not a safetensors file (malformed header)", path);
    return HDRNN_EXIT_DATA;
}

static void shape_text(char *out, size_t size, int rank, const uint64_t *s)
{
    size_t n = (size_t)snprintf(out, size, "[");
    for (int d = 0; d < rank && n < size; d++)
        n += (size_t)snprintf(out + n, size - n, d ? ",%llu" : "%llu", (unsigned long long)s[d]);
    if (n < size)
        snprintf(out + n, size - n, "]");
}

int hdrnn_safetensors_read(const char *path, const hdrnn_tensor_dest *dest, int count,
                           hdrnn_error *err)
{
    return hdrnn_safetensors_read_meta(path, dest, count, NULL, NULL, 0, err);
}

int hdrnn_safetensors_read_meta(const char *path, const hdrnn_tensor_dest *dest, int count,
                                const char *const *keys, char (*values)[HDRNN_META_VALUE],
                                int n_keys, hdrnn_error *err)
{
    const meta_want m = {keys, values, n_keys};
    for (int i = 0; i < n_keys; i++)
        values[i][0] = '\0';
    uint8_t *buf;
    size_t size;
    int rc = read_all(path, &buf, &size, err);
    if (rc)
        return rc;
    found f[2 * HDRNN_MAX_LAYERS];
    memset(f, 0, sizeof f);
    uint64_t base;
    if (count > 2 * HDRNN_MAX_LAYERS) {
        hdrnn_error_set(err, "%s: too many tensors asked for", path);
        rc = HDRNN_EXIT_RESOURCE;
    } else {
        rc = check_header(path, buf, size, dest, count, &m, f, &base, err);
    }
    for (int i = 0; i < count && !rc; i++) {
        const hdrnn_tensor_dest *d = &dest[i];
        const uint64_t want[2] = {d->shape[0], d->rank == 2 ? d->shape[1] : 0};
        const uint64_t elems = want[0] * (d->rank == 2 ? want[1] : 1);
        char got[128], exp[64];
        rc = HDRNN_EXIT_DATA;
        if (!f[i].seen) {
            hdrnn_error_set(err, "%s: missing tensor %s", path, d->name);
        } else if (!f[i].f32) {
            hdrnn_error_set(err, "%s: tensor %s is not F32", path, d->name);
        } else if (f[i].rank != d->rank || f[i].shape[0] != want[0] ||
                   (d->rank == 2 && f[i].shape[1] != want[1])) {
            shape_text(got, sizeof got, f[i].rank, f[i].shape);
            shape_text(exp, sizeof exp, d->rank, want);
            hdrnn_error_set(err, "%s: tensor %s has shape %s, the network needs %s", path,
                            d->name, got, exp);
        } else if (f[i].end < f[i].begin || f[i].end - f[i].begin != elems * 4 ||
                   f[i].end > size - base) {
            hdrnn_error_set(err, "%s: tensor %s: data offsets out of range", path, d->name);
        } else {
            rc = finite_values(path, d->name, buf + base + f[i].begin, (size_t)elems, err);
        }
    }
    for (int i = 0; i < count && !rc; i++)
        memcpy(dest[i].data, buf + base + f[i].begin, (size_t)(f[i].end - f[i].begin));
    free(buf);
    return rc;
}
