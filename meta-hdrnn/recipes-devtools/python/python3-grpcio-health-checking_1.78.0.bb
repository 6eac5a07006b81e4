SUMMARY = "Standard gRPC health checking service for Python"
DESCRIPTION = "The reference implementation of the gRPC health checking protocol, a dependency of Flower (python3-flwr)."
HOMEPAGE = "https://grpc.io"
SECTION = "devel/python"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=731e401b36f8077ae0c134b59be5c906"

SRC_URI[sha256sum] = "78526d5c60b9b99fd18954b89f86d70033c702e96ad6ccc9749baf16136979b3"

PYPI_PACKAGE = "grpcio_health_checking"

# the same release as meta-python's python3-grpcio
inherit pypi setuptools3

RDEPENDS:${PN} += "\
    python3-grpcio \
    python3-protobuf \
"
