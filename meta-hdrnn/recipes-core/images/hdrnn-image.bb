SUMMARY = "Image for benchmarking neural-network training on the board"
DESCRIPTION = "A small image with the HDR-NN trainers, hdrnn-run and MNIST: log in on the serial console and run hdrnn-run."
SECTION = "images"
LICENSE = "MIT"

inherit core-image extrausers hdrnn_image_policy

IMAGE_INSTALL = "\
    packagegroup-core-boot \
    packagegroup-hdrnn \
    ${CORE_IMAGE_EXTRA_INSTALL} \
"

# Logins (docs/yocto.md). By default a bench image for a lab board: root logs in on the
# serial console (getty from the machine's SERIAL_CONSOLES) without a password, and there
# is no SSH server. With HDRNN_ROOT_PASSWORD_HASH (from `openssl passwd -6`) root gets
# that password instead; with HDRNN_ROOT_AUTHORIZED_KEYS an SSH server is added that
# accepts those keys. hdrnn_image_policy fails the build if an SSH server would meet an
# empty root password. Not for a fielded ECU (read-only rootfs, signed updates, HAB).
HDRNN_ROOT_PASSWORD_HASH ??= ""
HDRNN_ROOT_AUTHORIZED_KEYS ??= ""
HDRNN_CREDENTIALS = "${HDRNN_ROOT_PASSWORD_HASH}${HDRNN_ROOT_AUTHORIZED_KEYS}"
IMAGE_FEATURES += "allow-root-login \
                   ${@'' if d.getVar('HDRNN_CREDENTIALS') else 'allow-empty-password empty-root-password'} \
                   ${@'ssh-server-dropbear' if d.getVar('HDRNN_ROOT_AUTHORIZED_KEYS') else ''} \
"
# extrausers runs these inside double quotes: the hash's $ must reach the shell as \$
EXTRA_USERS_PARAMS = "${@"usermod -p '%s' root;" % d.getVar('HDRNN_ROOT_PASSWORD_HASH').replace('$', '\\$') if d.getVar('HDRNN_ROOT_PASSWORD_HASH') else ''}"

ROOTFS_POSTPROCESS_COMMAND += "hdrnn_authorized_keys"
hdrnn_authorized_keys[doc] = "Installs HDRNN_ROOT_AUTHORIZED_KEYS as root's authorized_keys"
hdrnn_authorized_keys() {
    if [ -n "${HDRNN_ROOT_AUTHORIZED_KEYS}" ]; then
        install -d -m 0700 ${IMAGE_ROOTFS}${ROOT_HOME}/.ssh
        printf '%s\n' "${HDRNN_ROOT_AUTHORIZED_KEYS}" > ${IMAGE_ROOTFS}${ROOT_HOME}/.ssh/authorized_keys
        chmod 0600 ${IMAGE_ROOTFS}${ROOT_HOME}/.ssh/authorized_keys
    fi
}

IMAGE_LINGUAS = ""

# Room for results directories (KiB): a thesis session with --check writes ~50 MiB.
IMAGE_ROOTFS_EXTRA_SPACE = "524288"
