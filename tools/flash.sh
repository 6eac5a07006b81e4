#!/bin/sh
# Write the SD-card image to a card with bmaptool: make flash DEV=/dev/sdX
# Refuses anything that is not a whole, removable, unmounted block device.
set -eu

DEV=${1:?usage: flash.sh /dev/sdX [DEPLOY_DIR]}
DEPLOY=${2:-build/tmp/deploy/images/imx6qdlsabresd}
IMAGE=${IMAGE:-hdrnn-image-imx6qdlsabresd.rootfs}

die() { echo "flash: $*" >&2; exit 1; }

[ -b "$DEV" ] || die "$DEV is not a block device"
name=$(basename "$(readlink -f "$DEV")")
[ -e "/sys/block/$name" ] || die "$DEV is a partition; give the whole card (e.g. /dev/sdb)"
[ "$(cat "/sys/block/$name/removable")" = 1 ] || die "$DEV is not removable; refusing to overwrite it"
if lsblk -nro MOUNTPOINT "$DEV" | grep -q .; then
    die "$DEV has mounted partitions ($(lsblk -nro MOUNTPOINT "$DEV" | grep . | tr '\n' ' ')); unmount them first"
fi
wic="$DEPLOY/$IMAGE.wic.gz"
bmap="$DEPLOY/$IMAGE.wic.bmap"
[ -f "$wic" ] || die "$wic not found: build it with kas build kas/imx6.yml"
[ -f "$bmap" ] || die "$bmap not found"
command -v bmaptool >/dev/null || die "bmaptool not found (apt-get install bmap-tools)"
echo "flash: writing $wic to $DEV" >&2
bmaptool copy --bmap "$bmap" "$wic" "$DEV"
sync
