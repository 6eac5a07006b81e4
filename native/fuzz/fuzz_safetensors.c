/* libFuzzer harness for the C safetensors reader (--weights-in; make fuzz). The input is
 * the weights file for a 784-8-4-10 network. Whatever the bytes, the reader must return
 * HDRNN_OK or an error, never crash, leak, read out of bounds or write past the given
 * storage (ASan, UBSan). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hdrnn_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/hdrnn-fuzz-st-%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
    /* exactly sized storage, so ASan sees any write past a tensor */
    static const size_t shape[3][2] = {{8, 784}, {4, 8}, {10, 4}};
    static const char *const names[6] = {"layers.0.weight", "layers.0.bias",
                                         "layers.1.weight", "layers.1.bias",
                                         "layers.2.weight", "layers.2.bias"};
    hdrnn_tensor_dest dest[6];
    for (int l = 0; l < 3; l++) {
        dest[2 * l] = (hdrnn_tensor_dest){names[2 * l], malloc(sizeof(float) * shape[l][0] *
                                                               shape[l][1]),
                                          2, {shape[l][0], shape[l][1]}};
        dest[2 * l + 1] = (hdrnn_tensor_dest){names[2 * l + 1],
                                              malloc(sizeof(float) * shape[l][0]), 1,
                                              {shape[l][0], 0}};
    }
    hdrnn_error err;
    (void)hdrnn_safetensors_read(path, dest, 6, &err);
    for (int i = 0; i < 6; i++)
        free(dest[i].data);
    return 0;
}
