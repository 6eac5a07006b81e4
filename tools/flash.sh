#!/bin/sh
# Write the SD-card image to a card with bmaptool: make flash DEV=/dev/sdX [ARGS=--yes]
#   tools/flash.sh [--yes] [--allow-loop] DEV [DEPLOY_DIR]
# Refuses anything but a whole, unmounted, unused card that is not the running system's
# disk: a removable device, or a built-in SD slot (mmcblkN, which never says removable).
# Fails closed: when a check cannot run, nothing is written. Asks before writing unless
# --yes. --allow-loop accepts a loop device (an image file set up with losetup).
set -eu

die() { echo "flash: $*" >&2; exit 1; }

YES=0 LOOP=0
while [ $# -gt 0 ]; do
    case $1 in
        --yes) YES=1 ;;
        --allow-loop) LOOP=1 ;;
        -*) die "unknown option $1 (usage: flash.sh [--yes] [--allow-loop] DEV [DEPLOY_DIR])" ;;
        *) break ;;
    esac
    shift
done
DEV=${1:-}
[ -n "$DEV" ] || die "usage: flash.sh [--yes] [--allow-loop] /dev/sdX [DEPLOY_DIR]"
DEPLOY=${2:-build/tmp/deploy/images/imx6qdlsabresd}
IMAGE=${IMAGE:-hdrnn-image-imx6qdlsabresd.rootfs}

for tool in lsblk findmnt python3; do
    command -v "$tool" >/dev/null || die "$tool not found: cannot check $DEV, refusing"
done
[ -b "$DEV" ] || die "$DEV is not a block device"
name=$(basename "$(readlink -f "$DEV")")
[ -e "/sys/block/$name" ] || die "$DEV is a partition; give the whole card (e.g. /dev/sdb)"

# The disk that holds / (through its partition's parent), if / is on a block device.
root_src=$(findmnt -no SOURCE / 2>/dev/null) || die "findmnt failed: cannot check $DEV"
root_disk=""
case $root_src in
    /dev/*) root_disk=$(lsblk -no PKNAME "$root_src" 2>/dev/null | head -n1) ||
                die "lsblk failed on $root_src: cannot check $DEV"
            [ -n "$root_disk" ] || root_disk=$(basename "$(readlink -f "$root_src")") ;;
esac
[ "$name" != "$root_disk" ] || die "$DEV holds the running system's root file system"

removable=$(cat "/sys/block/$name/removable" 2>/dev/null) || die "cannot read /sys/block/$name/removable"
case $name in
    mmcblk[0-9]|mmcblk[0-9][0-9]) ;;  # a built-in SD slot: removable media, never flagged
    loop[0-9]*) [ "$LOOP" = 1 ] || die "$DEV is a loop device (pass --allow-loop to write an image file)" ;;
    *) [ "$removable" = 1 ] || die "$DEV is not removable; refusing to overwrite it" ;;
esac

mounts=$(lsblk -nro MOUNTPOINT "$DEV") || die "lsblk failed on $DEV: cannot tell whether it is mounted"
if printf '%s\n' "$mounts" | grep -q .; then
    die "$DEV has mounted partitions ($(printf '%s\n' "$mounts" | grep . | tr '\n' ' ')); unmount them first"
fi
# O_EXCL on a block device fails with EBUSY while anything has it or a partition mounted,
# in any mount namespace: what lsblk cannot see.
python3 - "$DEV" <<'PY' || die "$DEV is in use (mounted in another namespace, or opened exclusively); refusing"
import os, sys
os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))
PY

wic="$DEPLOY/$IMAGE.wic.gz"
bmap="$DEPLOY/$IMAGE.wic.bmap"
[ -f "$wic" ] || die "$wic not found: build it with kas build kas/imx6.yml"
[ -f "$bmap" ] || die "$bmap not found"
command -v bmaptool >/dev/null || die "bmaptool not found (apt-get install bmap-tools)"

model=$(lsblk -dno MODEL "$DEV" 2>/dev/null | tr -s ' ') || model=""
size=$(lsblk -dno SIZE "$DEV" 2>/dev/null | tr -d ' ') || size="?"
echo "flash: $DEV: ${model:-no model name}, $size; everything on it will be replaced by $wic" >&2
if [ "$YES" != 1 ]; then
    printf 'flash: type yes to write: ' >&2
    read -r answer || answer=""
    [ "$answer" = yes ] || die "not confirmed; nothing written"
fi
bmaptool copy --bmap "$bmap" "$wic" "$DEV"
sync
