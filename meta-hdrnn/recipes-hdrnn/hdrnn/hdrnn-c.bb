SUMMARY = "HDR-NN trainer in plain C (libc and libm only)"
DESCRIPTION = "Trains the HDR-NN (MNIST, sigmoid MLP, mini-batch SGD) as the trainer contract says; NEON kernels on ARMv7."

HDRNN_TRAINER = "c"

require hdrnn-trainer.inc
