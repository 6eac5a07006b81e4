SUMMARY = "The HDR-NN training benchmark: trainers, runner and data"
LICENSE = "MIT"

inherit packagegroup

# hdrnn-libtorch joins through kas/feature/libtorch.yml (HDRNN_EXTRA_TRAINERS).
HDRNN_EXTRA_TRAINERS ??= ""

RDEPENDS:${PN} = " \
    hdrnn-c \
    hdrnn-data-mnist \
    hdrnn-data-mnist10k \
    hdrnn-eigen \
    python3-hdrnn \
    ${HDRNN_EXTRA_TRAINERS} \
"
