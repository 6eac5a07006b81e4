#include <stdio.h>

#include "hdrnn_contract.h"

int hdrnn_layer_sizes(const int *hidden, int n_hidden, int inputs, int classes, int *sizes)
{
    sizes[0] = inputs;
    for (int i = 0; i < n_hidden; i++)
        sizes[i + 1] = hidden[i];
    sizes[n_hidden + 1] = classes;
    return n_hidden + 1;
}

long hdrnn_param_count(const int *sizes, int n_layers)
{
    long n = 0;
    for (int l = 0; l < n_layers; l++)
        n += (long)sizes[l + 1] * sizes[l] + sizes[l + 1];
    return n;
}

void hdrnn_tensor_names(int layer, char *weight, char *bias, size_t size)
{
    snprintf(weight, size, "layers.%d.weight", layer);
    snprintf(bias, size, "layers.%d.bias", layer);
}
