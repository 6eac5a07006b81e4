SUMMARY = "HDR-NN trainer in C++17 with LibTorch"
DESCRIPTION = "Trains the HDR-NN (MNIST, sigmoid MLP, mini-batch SGD) with LibTorch's ATen operations, the backward pass written out (no autograd), as the trainer contract says; one thread by default."

DEPENDS = "libtorch"

HDRNN_TRAINER = "libtorch"

require hdrnn-trainer.inc
