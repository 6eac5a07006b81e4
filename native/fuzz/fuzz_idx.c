/* libFuzzer harness for the C IDX reader (make fuzz). The input becomes one of the four
 * files of a data directory (chosen by its first byte; the other three are small valid
 * files), then hdrnn_dataset_load reads the directory with a limit taken from the second
 * byte (its bit 2: stream mode). Whatever the bytes, the loader must return HDRNN_OK or an error, never crash,
 * leak or read out of bounds (ASan, UBSan). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hdrnn_idx.h"

static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
static char dir[64];

static void put(const char *name, const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

/* A valid file of 2 samples: images 28x28, labels 0 and 1. */
static void put_valid(int which)
{
    static uint8_t images[16 + 2 * 784] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
    static const uint8_t labels[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 0, 1};
    if (which % 2 == 0)
        put(names[which], images, sizeof images);
    else
        put(names[which], labels, sizeof labels);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/hdrnn-fuzz-%ld", (long)getpid());
        char cmd[128];
        snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
        if (system(cmd) != 0)
            abort();
    }
    const int which = size ? data[0] % 4 : 0;
    const size_t limit = size > 1 ? data[1] % 4 : 0;
    for (int k = 0; k < 4; k++)
        if (k != which)
            put_valid(k);
    put(names[which], size > 2 ? data + 2 : data, size > 2 ? size - 2 : 0);
    hdrnn_dataset ds;
    hdrnn_error err;
    if (hdrnn_dataset_load(&ds, dir, limit, limit, 0, size > 1 && data[1] & 4, &err) == HDRNN_OK) {
        volatile uint8_t sum = 0; /* touch every byte the loader says it holds */
        for (size_t i = 0; ds.train.features && i < ds.train.count * ds.train.row_bytes; i++)
            sum += ds.train.features[i];
        for (size_t i = 0; i < ds.test.count; i++)
            sum += ds.test.labels[i];
        (void)sum;
        hdrnn_dataset_free(&ds);
    }
    return 0;
}
