SUMMARY = "HDR-NN trainer in C++17 with Eigen"
DESCRIPTION = "Trains the HDR-NN (MNIST, sigmoid MLP, mini-batch SGD) with Eigen matrix products, as the trainer contract says."

DEPENDS = "libeigen"

HDRNN_TRAINER = "eigen"

require hdrnn-trainer.inc
