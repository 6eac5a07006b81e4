SUMMARY = "The HDR-NN training benchmark: trainers, runner and data"
DESCRIPTION = "Everything hdrnn-run needs on the board: the C and Eigen trainers, the Python runner and NumPy trainers, MNIST and mnist-10k."
SECTION = "base"
LICENSE = "MIT"

inherit packagegroup

# hdrnn-libtorch joins through kas/feature/libtorch.yml (HDRNN_EXTRA_TRAINERS).
HDRNN_EXTRA_TRAINERS ??= ""

RDEPENDS:${PN} = "\
    ${HDRNN_EXTRA_TRAINERS} \
    hdrnn-c \
    hdrnn-data-mnist \
    hdrnn-data-mnist10k \
    hdrnn-eigen \
    python3-hdrnn \
"
