/* The trainer contract (docs/contract.md) for the native trainers: network shape,
 * command-line limits and defaults, exit codes and tensor names. The shape and limits
 * come from python/src/hdrnn/contract.py through the generated hdrnn_limits.h
 * (HDRNN_INPUTS, HDRNN_CLASSES, HDRNN_MAX_*, HDRNN_EVAL_CHUNK). */
#ifndef HDRNN_CONTRACT_H
#define HDRNN_CONTRACT_H

#include <stddef.h>

#include "hdrnn_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HDRNN_MAX_HIDDEN HDRNN_MAX_HIDDEN_LAYERS
#define HDRNN_MAX_LAYERS (HDRNN_MAX_HIDDEN + 2) /* layer sizes, input to output */

/* The thesis' settings are the defaults. */
#define HDRNN_DEFAULT_HIDDEN 30
#define HDRNN_DEFAULT_EPOCHS 30
#define HDRNN_DEFAULT_BATCH 10
#define HDRNN_DEFAULT_LR 3.0
#define HDRNN_DEFAULT_SEED 1

enum hdrnn_status {
    HDRNN_OK = 0,
    HDRNN_EXIT_USAGE = 2,    /* bad command line */
    HDRNN_EXIT_DATA = 3,     /* bad or missing data */
    HDRNN_EXIT_RESOURCE = 4  /* out of memory, or another resource failure */
};

/* sizes = inputs, hidden[0..n_hidden), classes (room for HDRNN_MAX_LAYERS); returns the
 * number of weight layers, n_hidden + 1. */
int hdrnn_layer_sizes(const int *hidden, int n_hidden, int inputs, int classes, int *sizes);

/* Sum over layers of out * in + out. */
long hdrnn_param_count(const int *sizes, int n_layers);

/* The safetensors names: "layers.{l}.weight" [out, in] and "layers.{l}.bias" [out]. */
void hdrnn_tensor_names(int layer, char *weight, char *bias, size_t size);

#ifdef __cplusplus
}
#endif
#endif
