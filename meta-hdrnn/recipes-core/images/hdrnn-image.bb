SUMMARY = "Image for benchmarking neural-network training on the board"
DESCRIPTION = "A small image with the HDR-NN trainers, hdrnn-run and MNIST: log in on the serial console and run hdrnn-run."
SECTION = "images"
LICENSE = "MIT"

inherit core-image

IMAGE_INSTALL = "\
    packagegroup-core-boot \
    packagegroup-hdrnn \
    ${CORE_IMAGE_EXTRA_INSTALL} \
"

# A bench image on a lab board: root logs in on the serial console (getty comes from
# SERIAL_CONSOLES of the machine) without a password. Not for a fielded ECU.
IMAGE_FEATURES += "allow-empty-password allow-root-login empty-root-password"

IMAGE_LINGUAS = ""

# Room for results directories (KiB): a thesis session with --check writes ~50 MiB.
IMAGE_ROOTFS_EXTRA_SPACE = "524288"
