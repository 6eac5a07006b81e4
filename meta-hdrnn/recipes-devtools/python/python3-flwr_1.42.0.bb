SUMMARY = "Flower: a friendly federated AI framework"
DESCRIPTION = "Flower's SuperLink, SuperNode, SuperExec and the flwr command: the engine hdrnn's federated training runs on (a SuperNode on the board, docs/federated.md)."
HOMEPAGE = "https://flower.ai"
SECTION = "devel/python"
LICENSE = "Apache-2.0"
# the sdist carries no license file; its PKG-INFO says License-Expression: Apache-2.0
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# the uv_build backend; oe-core's python_uv_build class is newer than the pinned wrynose
DEPENDS += "python3-uv-build-native"

SRC_URI += "file://0001-pyproject-build-with-the-uv-build-of-wrynose.patch"
SRC_URI[sha256sum] = "12b005e4c5083b1b0c74d66c95baf8f376078d86ef9ff1b4cac32afe5544b5f2"

inherit pypi python_pep517

# flwr's metadata also requires uv, which it runs only to install an app's
# dependencies at run time: hdrnn starts every Flower process with
# --disable-runtime-dependency-installation, so the image goes without it.
RDEPENDS:${PN} += "\
    python3-alembic \
    python3-certifi \
    python3-click \
    python3-core \
    python3-cryptography \
    python3-fastapi \
    python3-grpcio \
    python3-grpcio-health-checking \
    python3-httpx \
    python3-iterators \
    python3-json \
    python3-logging \
    python3-numpy \
    python3-packaging \
    python3-pathspec \
    python3-prompt-toolkit \
    python3-protobuf \
    python3-pycryptodome \
    python3-pyyaml \
    python3-requests \
    python3-rich \
    python3-sqlalchemy \
    python3-sqlite3 \
    python3-starlette \
    python3-tomli \
    python3-tomli-w \
    python3-typer \
    python3-uvicorn \
"
