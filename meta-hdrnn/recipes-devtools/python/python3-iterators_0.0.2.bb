SUMMARY = "A TimeoutIterator: an iterator with a timeout"
DESCRIPTION = "Wraps an iterator so that next() can time out; a dependency of Flower (python3-flwr)."
HOMEPAGE = "https://github.com/leangaurav/pypi_iterator"
SECTION = "devel/python"
LICENSE = "MIT"
# the sdist carries no license file; its classifiers say MIT
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

SRC_URI[sha256sum] = "4f6a5b39c3c724edd5c7231a589d463ad50357cdc35494a3c71730795b78eb50"

inherit pypi setuptools3

RDEPENDS:${PN} += "python3-threading"
