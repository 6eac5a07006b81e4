#!/bin/bash
# Build hdrnn's QEMU cache plugin (hdrnn_cache.c around contrib/plugins/cache.c) from
# the Debian source package of the installed qemu-system-arm, so that the plugin's API
# is the emulator's own. Adds a deb-src entry for the suites the machine already uses
# when apt has none, and keeps the two source files it needs under OUTDIR.
#
# usage: build.sh OUTDIR      -> OUTDIR/libhdrnn-cache.so, OUTDIR/plugin.json
set -euo pipefail

OUT=$(realpath -m "$1")
HERE=$(dirname "$(realpath "$0")")
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
VERSION=$(dpkg-query -W -f='${source:Version}' qemu-system-arm)
SRC=$OUT/qemu-${VERSION#*:}
mkdir -p "$OUT"

if [ ! -f "$SRC/cache.c" ]; then
    if ! apt-cache showsrc "qemu=$VERSION" 2>/dev/null | grep -q "^Version: $VERSION$"; then
        echo "qemu-cache: adding deb-src entries for qemu $VERSION" >&2
        # the machine's own deb sources, as deb-src (deb822 files and one-line lists)
        LISTS=$(ls /etc/apt/sources.list.d/*.sources | grep -v /hdrnn-deb-src || true)
        for f in $LISTS; do
            sed 's/^Types: deb$/Types: deb-src/' "$f"
            echo
        done | $SUDO tee /etc/apt/sources.list.d/hdrnn-deb-src.sources >/dev/null
        if [ -f /etc/apt/sources.list ]; then
            sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list |
                $SUDO tee /etc/apt/sources.list.d/hdrnn-deb-src.list >/dev/null
        fi
        $SUDO apt-get update -qq
    fi
    WORK=$(mktemp -d "$OUT/.src.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    # apt checks the files against the signed Release's hashes
    (cd "$WORK" && apt-get source -qq --download-only "qemu=$VERSION" 2>&1 |
        grep -v "unsandboxed as root" >&2 || true)
    ORIG=$(ls "$WORK"/qemu_*.orig.tar.xz)
    TOP=$(tar -tJf "$ORIG" | sed -n '1s|/.*||p')
    tar -C "$WORK" -xJf "$ORIG" "$TOP/contrib/plugins/cache.c" "$TOP/include/qemu/qemu-plugin.h"
    # Debian's patches must leave the two files alone, or they would have to be applied
    tar -C "$WORK" -xJf "$WORK"/qemu_*.debian.tar.xz debian/patches
    if grep -rlq -e 'contrib/plugins/cache.c' -e 'include/qemu/qemu-plugin.h' "$WORK/debian/patches"; then
        echo "qemu-cache: Debian's patches change the plugin sources; not supported" >&2
        exit 1
    fi
    mkdir -p "$SRC"
    cp "$WORK/$TOP/contrib/plugins/cache.c" "$WORK/$TOP/include/qemu/qemu-plugin.h" "$SRC/"
fi

gcc -O2 -g -shared -fPIC -Wall -o "$OUT/libhdrnn-cache.so.tmp" "$HERE/hdrnn_cache.c" \
    -I"$SRC" $(pkg-config --cflags glib-2.0) $(pkg-config --libs glib-2.0)
mv "$OUT/libhdrnn-cache.so.tmp" "$OUT/libhdrnn-cache.so"
cat > "$OUT/plugin.json" <<JSON
{"plugin": "$OUT/libhdrnn-cache.so", "qemu_source": "qemu $VERSION",
 "cache_c_sha256": "$(sha256sum "$SRC/cache.c" | cut -d' ' -f1)",
 "wrapper_sha256": "$(sha256sum "$HERE/hdrnn_cache.c" | cut -d' ' -f1)"}
JSON
echo "qemu-cache: $OUT/libhdrnn-cache.so (cache.c of qemu $VERSION)" >&2
