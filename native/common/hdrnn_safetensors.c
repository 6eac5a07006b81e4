#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdrnn_safetensors.h"

static size_t tensor_bytes(const hdrnn_tensor *t)
{
    size_t n = t->shape[0] * (t->rank == 2 ? t->shape[1] : 1);
    return n * sizeof(float);
}

/* The format is little endian; swap on a big-endian host. */
static int write_floats(FILE *f, const float *data, size_t n)
{
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1)
        return fwrite(data, sizeof(float), n, f) == n ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4], s[4];
        memcpy(b, &data[i], 4);
        s[0] = b[3], s[1] = b[2], s[2] = b[1], s[3] = b[0];
        if (fwrite(s, 1, 4, f) != 4)
            return -1;
    }
    return 0;
}

/* The directory of path into dir; -1 when it does not fit. */
static int parent_dir(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if ((size_t)(slash - path) >= size)
        return -1;
    else
        snprintf(dir, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return 0;
}

/* The directory entry of a rename is durable only once the directory is synced. */
static int sync_parent(const char *path)
{
    char dir[4096];
    if (parent_dir(path, dir, sizeof dir))
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int hdrnn_safetensors_write(const char *path, const hdrnn_tensor *tensors, int count,
                            const char *const *meta, hdrnn_error *err)
{
    char header[8192], tmp[4096];
    size_t n = 0, offset = 0;
    n += (size_t)snprintf(header + n, sizeof header - n, "{");
    for (int i = 0; i < count && n < sizeof header; i++) {
        const hdrnn_tensor *t = &tensors[i];
        size_t bytes = tensor_bytes(t);
        char shape[64];
        if (t->rank == 2)
            snprintf(shape, sizeof shape, "[%zu,%zu]", t->shape[0], t->shape[1]);
        else
            snprintf(shape, sizeof shape, "[%zu]", t->shape[0]);
        n += (size_t)snprintf(header + n, sizeof header - n,
                              "\"%s\":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[%zu,%zu]},",
                              t->name, shape, offset, offset + bytes);
        offset += bytes;
    }
    if (n < sizeof header)
        n += (size_t)snprintf(header + n, sizeof header - n, "\"__metadata__\":{");
    for (int i = 0; meta && meta[i] && meta[i + 1] && n < sizeof header; i += 2)
        n += (size_t)snprintf(header + n, sizeof header - n, "%s\"%s\":\"%s\"",
                              i ? "," : "", meta[i], meta[i + 1]);
    if (n < sizeof header)
        n += (size_t)snprintf(header + n, sizeof header - n, "}}");
    if (n + 8 >= sizeof header) {
        hdrnn_error_set(err, "%s: safetensors header too long", path);
        return HDRNN_EXIT_RESOURCE;
    }
    while (n % 8) /* spaces pad the header so the data is 8-byte aligned */
        header[n++] = ' ';

    /* only a regular file or a new one: never a device, pipe, directory or link */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        hdrnn_error_set(err, "%s: not a regular file (a link, device, pipe or directory); "
                        "refusing to replace it", path);
        return HDRNN_EXIT_RESOURCE;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp) {
        hdrnn_error_set(err, "%s: path too long for the temporary file", path);
        return HDRNN_EXIT_RESOURCE;
    }
    unlink(tmp); /* left by an earlier process with our pid */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        hdrnn_error_set(err, "%s: cannot write weights: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return HDRNN_EXIT_RESOURCE;
    }
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)n >> (8 * i));
    int bad = fwrite(len, 1, 8, f) != 8 || fwrite(header, 1, n, f) != n;
    for (int i = 0; i < count && !bad; i++)
        bad = write_floats(f, tensors[i].data, tensor_bytes(&tensors[i]) / sizeof(float));
    bad = bad || fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad = (fclose(f) != 0) || bad;
    if (bad || rename(tmp, path) != 0) {
        hdrnn_error_set(err, "%s: cannot write weights: %s", path, strerror(errno));
        unlink(tmp);
        return HDRNN_EXIT_RESOURCE;
    }
    if (sync_parent(path) != 0) {
        hdrnn_error_set(err, "%s: cannot sync its directory: %s", path, strerror(errno));
        return HDRNN_EXIT_RESOURCE;
    }
    return HDRNN_OK;
}

void hdrnn_safetensors_remove_stale(const char *path)
{
    char dir[4096];
    if (parent_dir(path, dir, sizeof dir))
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const size_t n = strlen(name);
    for (struct dirent *e; (e = readdir(d));) {
        const char *p = e->d_name + (e->d_name[0] == '.');
        if (strncmp(p, name, n) || strncmp(p + n, ".tmp", 4) || !p[n + 4] ||
            strspn(p + n + 4, "0123456789") != strlen(p + n + 4))
            continue;
        char victim[8192];
        if ((size_t)snprintf(victim, sizeof victim, "%s/%s", dir, e->d_name) < sizeof victim)
            unlink(victim);
    }
    closedir(d);
}
