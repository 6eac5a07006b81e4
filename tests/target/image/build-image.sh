#!/bin/bash
# Assemble the CI stand-in for the board image: an armhf initramfs for QEMU's sabrelite
# (i.MX6Q) from pinned Debian bookworm packages, plus the cross-built trainers, the
# hdrnn Python package and mnist-10k. Packages are extracted, never configured
# (mmdebstrap --variant=extract runs no maintainer scripts), so what those scripts
# would do is done here: BLAS alternatives, module index, precompiled .pyc.
#
# usage: build-image.sh OUTDIR ARM_BIN_DIR DATA_DIR
set -euo pipefail

OUT=$(realpath -m "$1")
ARM_BIN=$(realpath "$2")
DATA=$(realpath "$3")
HERE=$(dirname "$(realpath "$0")")
ROOT=$(realpath "$HERE/../../..")
MIRROR=${HDRNN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PY=${PYTHON:-python3}

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RFS=$WORK/rootfs
mkdir -p "$RFS"

mapfile -t PKGS < <(grep -v '^#' "$HERE/packages.txt" | grep .)
echo "test-image: extracting ${#PKGS[@]} pinned packages and their dependencies" >&2
mmdebstrap --quiet --variant=extract --architectures=armhf \
    --include="$(IFS=,; echo "${PKGS[*]}")" \
    --extract-hook="ls \"\$1\"/var/cache/apt/archives/ | grep '\\.deb\$' > $WORK/manifest.txt" \
    bookworm "$WORK/rootfs.tar" "$MIRROR"
tar -C "$RFS" -xf "$WORK/rootfs.tar" \
    --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale \
    --exclude=./usr/share/info --exclude=./var/cache/apt/archives
rm "$WORK/rootfs.tar"

KVER=$(ls "$RFS/lib/modules")
cp "$RFS/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$RFS/usr/lib/linux-image-$KVER/imx6q-sabresd.dtb" "$WORK/imx6q-sabresd.dtb"
# Only the modules the tests need, with what they depend on: the watchdog (reboot -f
# ends QEMU with -no-reboot), the GPIO controller, the i.MX SD host controller and ext4
# (the power-pull test's SD card); the rest of the 200 MB module tree stays out.
depmod -b "$RFS" "$KVER"
WANT='imx2_wdt gpio-mxc sdhci-esdhc-imx ext4 crc32c_generic'
KEEP=$(cd "$RFS/lib/modules/$KVER" && for m in $WANT; do
    grep -E "/$m\.ko[^:]*:" modules.dep | tr -d ':' | tr ' ' '\n'
done | grep . | sort -u)
mv "$RFS/lib/modules/$KVER" "$WORK/modules"
mkdir -p "$RFS/lib/modules/$KVER"
for m in $KEEP; do
    install -D -m 0644 "$WORK/modules/$m" "$RFS/lib/modules/$KVER/$m"
done
cp "$WORK/modules"/modules.builtin* "$WORK/modules/modules.order" "$RFS/lib/modules/$KVER/"
depmod -b "$RFS" "$KVER"
rm -rf "$RFS/boot" "$RFS/usr/lib/linux-image-$KVER" "$WORK/modules"

# update-alternatives would have linked the reference BLAS/LAPACK that NumPy loads.
LIB=$RFS/usr/lib/arm-linux-gnueabihf
ln -sf blas/libblas.so.3 "$LIB/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$LIB/liblapack.so.3"

# hdrnn: trainers, Python package, console scripts, data.
install -m 0755 "$ARM_BIN/hdrnn-c" "$ARM_BIN/hdrnn-eigen" "$ARM_BIN/hdrnn-mark" "$RFS/usr/bin/"
SITE=$RFS/usr/lib/python3/dist-packages
cp -r "$ROOT/python/src/hdrnn" "$SITE/"
find "$SITE/hdrnn" -name __pycache__ -prune -exec rm -rf {} +
"$PY" - "$ROOT/python/pyproject.toml" "$RFS/usr/bin" <<'PYEOF'
import sys, tomllib, pathlib
scripts = tomllib.load(open(sys.argv[1], "rb"))["project"]["scripts"]
for name, target in scripts.items():
    module, func = target.split(":")
    p = pathlib.Path(sys.argv[2]) / name
    p.write_text(f"#!/usr/bin/python3\nimport sys\nfrom {module} import {func}\n"
                 f"sys.exit({func}())\n")
    p.chmod(0o755)
PYEOF
mkdir -p "$RFS/usr/share/hdrnn/mnist-10k"
cp "$DATA"/*-ubyte "$DATA"/SHA256SUMS "$RFS/usr/share/hdrnn/mnist-10k/"
# Byte-compile on the host (same 3.11 bytecode as the guest's 3.11): an emulated
# Cortex-A9 would otherwise spend most of a Python start compiling. unchecked-hash
# pycs stay valid whatever the file times are.
"$PY" -m compileall -q -j 2 --invalidation-mode unchecked-hash \
    -s "$RFS" -p / "$RFS/usr/lib/python3.11" "$SITE" >/dev/null || true

# Boot: busybox init on the serial console, root without password (a lab image).
install -m 0755 "$HERE/init" "$RFS/init"
install -D -m 0644 "$HERE/inittab" "$RFS/etc/inittab"
install -D -m 0755 "$HERE/rcS" "$RFS/etc/init.d/rcS"
install -D -m 0644 "$HERE/profile" "$RFS/etc/profile"
printf 'root::0:0:root:/root:/bin/sh\n' > "$RFS/etc/passwd"
printf 'root:x:0:\n' > "$RFS/etc/group"
printf 'hdrnn-sabresd\n' > "$RFS/etc/hostname"
mkdir -p "$RFS/root" "$RFS/proc" "$RFS/sys" "$RFS/dev" "$RFS/tmp" "$RFS/run"
for d in bin sbin lib; do  # Debian's merged /usr
    if [ ! -e "$RFS/$d" ]; then ln -s "usr/$d" "$RFS/$d"; fi
done

# Uncompressed: gunzipping it took the guest kernel 1.7 G of the boot's 6.1 G
# instructions, half a minute at every boot under QEMU's cache plugin.
(cd "$RFS" && find . | sort | cpio --quiet -o -H newc -R 0:0) > "$WORK/initramfs.cpio"
rm -f "$OUT/initramfs.cpio.gz"  # the compressed image of earlier builds
mv "$WORK/vmlinuz" "$WORK/imx6q-sabresd.dtb" "$WORK/initramfs.cpio" \
    "$WORK/manifest.txt" "$OUT/"
echo "$KVER" > "$OUT/kernel-version"
echo "test-image: $OUT ($(du -h "$OUT/initramfs.cpio" | cut -f1) initramfs, kernel $KVER)" >&2
