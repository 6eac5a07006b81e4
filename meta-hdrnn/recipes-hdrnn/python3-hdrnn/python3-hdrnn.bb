SUMMARY = "HDR-NN benchmark runner, data tool and NumPy trainers"
DESCRIPTION = "hdrnn-run runs the training benchmark matrix and measures each trainer process (wall, user, sys, peak RSS); hdrnn-data fetches and converts MNIST and imports your own CSV or .npy data; hdrnn-numpy and hdrnn-numpy-sample are the Python reference trainers."
SECTION = "devel/python"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${UNPACKDIR}/LICENSE;md5=0f7fbf0a96b48748d1c80e08cfe21a77"

FILESEXTRAPATHS:prepend := "${HDRNN_SRCDIR}:"
SRC_URI = "\
    file://python/ \
    file://LICENSE \
"

S = "${UNPACKDIR}/python"

inherit hdrnn_version python_setuptools_build_meta

# The modules the runner and trainers import; no matplotlib (hdrnn-report runs on a host).
RDEPENDS:${PN} = "\
    python3-compression \
    python3-core \
    python3-crypt \
    python3-ctypes \
    python3-datetime \
    python3-io \
    python3-json \
    python3-netclient \
    python3-numpy \
    python3-resource \
    python3-statistics \
    python3-tqdm \
"
