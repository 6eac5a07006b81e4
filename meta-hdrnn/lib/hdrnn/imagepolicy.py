# SPDX-License-Identifier: MIT
"""The login policy of hdrnn images, as one pure function that bitbake calls at parse
time (classes-recipe/hdrnn_image_policy.bbclass) and tests call directly.

An image must not accept a network login without credentials: an empty root password
only on an image without an SSH server (serial-console lab use). SSH needs a key or a
password hash (HDRNN_ROOT_AUTHORIZED_KEYS, HDRNN_ROOT_PASSWORD_HASH in local.conf or a
kas fragment). HDRNN_LAB_ALLOW_PASSWORDLESS_SSH = "1" is the explicit override for a
throwaway lab target such as the emulated board of oeqa's testimage on slirp loopback.
"""

SSH_FEATURES = ("ssh-server-dropbear", "ssh-server-openssh")
SSH_PACKAGES = ("dropbear", "openssh", "openssh-sshd")
PASSWORDLESS = ("empty-root-password", "allow-empty-password")


def passwordless_ssh(image_features: str, image_install: str, lab_override: str) -> str:
    """'' when the image is acceptable, else the one-line reason it is not."""
    features = set(image_features.split())
    packages = set(image_install.split())
    ssh = sorted(features.intersection(SSH_FEATURES) | packages.intersection(SSH_PACKAGES))
    empty = sorted(features.intersection(PASSWORDLESS))
    if not ssh or not empty or lab_override.strip() == "1":
        return ""
    return (f"an SSH server ({', '.join(ssh)}) with {', '.join(empty)} would let anyone on "
            "the network log in as root without credentials: set HDRNN_ROOT_AUTHORIZED_KEYS "
            "or HDRNN_ROOT_PASSWORD_HASH, or drop the SSH server; for a throwaway lab target "
            "only, HDRNN_LAB_ALLOW_PASSWORDLESS_SSH = \"1\"")
