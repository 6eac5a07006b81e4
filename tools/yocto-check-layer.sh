#!/bin/sh
# yocto-check-layer on meta-hdrnn in a kas build environment (docs/yocto.md). Run it
# from the repository root as:
#   kas shell kas/imx6.yml:kas/validate/check-layer.yml -c "$PWD/tools/yocto-check-layer.sh"
# (kas runs it in the build directory; add kas/validate/offline.yml without network).
# check-layer.yml leaves meta-hdrnn out of BBLAYERS: the tool adds the layer itself and
# refuses one that is already there.
# kas writes BBLAYERS relative to ${TOPDIR}, which the tool cannot match against the
# dependency layers it is given (it then adds meta-oe a second time): they are made
# absolute first. Reads nothing from the network; builds nothing.
set -eu
: "${BUILDDIR:?run inside kas shell (BUILDDIR is not set)}"
conf="$BUILDDIR/conf/bblayers.conf"
python3 - "$conf" "$BUILDDIR" <<'EOF'
import os
import re
import sys

path, top = sys.argv[1], sys.argv[2]
with open(path) as f:
    text = f.read()
text = re.sub(r"\$\{TOPDIR\}(/[^\s\"\\]*)", lambda m: os.path.normpath(top + m.group(1)), text)
with open(path + ".tmp", "w") as f:
    f.write(text)
os.replace(path + ".tmp", path)
EOF
# every layer kas configured is a candidate dependency
deps=$(sed -n 's|^[[:space:]]*\(/[^[:space:]"\\]*\).*$|\1|p' "$conf")
layer=$(cd "$(dirname "$0")/../meta-hdrnn" && pwd)
# shellcheck disable=SC2086 # one argument per layer
exec yocto-check-layer --no-auto-dependency --dependency $deps -- "$layer"
