/* The trainer contract (docs/contract.md) for the native trainers: network shape,
 * command-line limits and defaults, exit codes and tensor names. The Python side has
 * the same in python/src/hdrnn/contract.py and errors.py. */
#ifndef HDRNN_CONTRACT_H
#define HDRNN_CONTRACT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HDRNN_INPUTS 784             /* MNIST: 28 x 28 pixels */
#define HDRNN_CLASSES 10
#define HDRNN_MAX_HIDDEN 8           /* hidden layers */
#define HDRNN_MAX_LAYERS (HDRNN_MAX_HIDDEN + 2) /* layer sizes, input to output */
#define HDRNN_MAX_LAYER_WIDTH 1000000
#define HDRNN_EVAL_CHUNK 1000        /* test samples per evaluation step of the loop */
#define HDRNN_MAX_LR 3.4028234663852886e38 /* FLT_MAX: the step lr / B must be a float */

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
