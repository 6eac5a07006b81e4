SUMMARY = "MNIST handwritten digits (60,000 training and 10,000 test images)"
DESCRIPTION = "The four official MNIST IDX files, uncompressed, for hdrnn-run --dataset mnist (the thesis preset)."
HOMEPAGE = "https://yann.lecun.com/exdb/mnist/"
SECTION = "misc"
LICENSE = "CC-BY-SA-3.0"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/CC-BY-SA-3.0;md5=3248afbd148270ac7337a6f3e2558be5"

# PyTorch's mirror of the original files; the fetcher decompresses each .gz on unpack.
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist"
SRC_URI = "\
    ${MNIST_MIRROR}/train-images-idx3-ubyte.gz;name=train-images \
    ${MNIST_MIRROR}/train-labels-idx1-ubyte.gz;name=train-labels \
    ${MNIST_MIRROR}/t10k-images-idx3-ubyte.gz;name=test-images \
    ${MNIST_MIRROR}/t10k-labels-idx1-ubyte.gz;name=test-labels \
"
SRC_URI[train-images.sha256sum] = "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
SRC_URI[train-labels.sha256sum] = "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
SRC_URI[test-images.sha256sum] = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
SRC_URI[test-labels.sha256sum] = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"

S = "${UNPACKDIR}"

inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${datadir}/hdrnn/mnist
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
             t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        install -m 0644 ${UNPACKDIR}/$f ${D}${datadir}/hdrnn/mnist/$f
    done
    # the manifest hdrnn-data writes for its cache: hdrnn-run records and checks it
    (cd ${D}${datadir}/hdrnn/mnist && sha256sum *-ubyte > SHA256SUMS)
}

FILES:${PN} += "${datadir}/hdrnn/mnist"
