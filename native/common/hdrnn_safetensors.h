/* Writing float32 tensors as safetensors, atomically (temporary name, fsync, rename). */
#ifndef HDRNN_SAFETENSORS_H
#define HDRNN_SAFETENSORS_H

#include <stddef.h>

#include "hdrnn_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hdrnn_tensor {
    const char *name;
    const float *data;
    int rank;          /* 1 or 2 */
    size_t shape[2];
} hdrnn_tensor;

/* Returns HDRNN_OK or HDRNN_EXIT_RESOURCE with err set; never leaves a partial file. */
int hdrnn_safetensors_write(const char *path, const hdrnn_tensor *tensors, int count,
                            const char *impl, hdrnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
