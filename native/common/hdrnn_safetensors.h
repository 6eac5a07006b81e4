/* float32 tensors as safetensors: written atomically (temporary name, fsync, rename), and
 * read back into given storage (--weights-in). */
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

/* meta: key, value, key, value, ..., NULL: the __metadata__ strings (plain ASCII
 * without quotes or backslashes). Returns HDRNN_OK or HDRNN_EXIT_RESOURCE with err set;
 * never leaves a partial file, and the rename is synced too (a checkpoint survives a
 * power cut once this returns). */
int hdrnn_safetensors_write(const char *path, const hdrnn_tensor *tensors, int count,
                            const char *const *meta, hdrnn_error *err);

/* A run killed while writing path leaves its temporary behind (PATH.tmpPID from C,
 * .NAME.tmpPID from Python): removed when a run with that file starts again, so that
 * power cuts do not fill the disk. */
void hdrnn_safetensors_remove_stale(const char *path);

/* Where a tensor read from a file goes: its expected name and shape, and storage for
 * shape[0] (x shape[1]) floats. */
typedef struct hdrnn_tensor_dest {
    const char *name;
    float *data;
    int rank;          /* 1 or 2 */
    size_t shape[2];
} hdrnn_tensor_dest;

/* Fill every tensor of dest from the safetensors file at path. The file must hold
 * exactly these tensors, each F32 of exactly that shape (a __metadata__ entry is
 * allowed). Returns HDRNN_OK; HDRNN_EXIT_DATA with err naming the file and, where there
 * is one, the tensor (missing, unexpected, wrong dtype or shape, data out of range, not a
 * safetensors file, not a regular file); HDRNN_EXIT_RESOURCE when the file cannot be
 * read or memory runs out. dest is only written once the whole file checked out. */
int hdrnn_safetensors_read(const char *path, const hdrnn_tensor_dest *dest, int count,
                           hdrnn_error *err);

/* The __metadata__ string values of the given keys (key[i] -> value[i], "" when absent;
 * a value longer than HDRNN_META_VALUE - 1 is an error), with the tensors as above. */
#define HDRNN_META_VALUE 64
int hdrnn_safetensors_read_meta(const char *path, const hdrnn_tensor_dest *dest, int count,
                                const char *const *keys, char (*values)[HDRNN_META_VALUE],
                                int n_keys, hdrnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
