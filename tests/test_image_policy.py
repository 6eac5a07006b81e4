"""The image login policy of meta-hdrnn (lib/hdrnn/imagepolicy.py, run by
hdrnn_image_policy.bbclass before do_rootfs): no SSH server with an empty root password
unless the lab override is set."""

import importlib.util

import pytest

from helpers import ROOT

_spec = importlib.util.spec_from_file_location(
    "imagepolicy", ROOT / "meta-hdrnn" / "lib" / "hdrnn" / "imagepolicy.py")
policy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(policy)

DEFAULT = "allow-root-login allow-empty-password empty-root-password"


@pytest.mark.parametrize("features,install,override,refused", [
    (DEFAULT, "packagegroup-hdrnn", "0", False),                      # the lab default
    (DEFAULT + " ssh-server-dropbear", "", "0", True),                # testimage's add-on
    (DEFAULT + " ssh-server-openssh", "", "", True),
    (DEFAULT, "packagegroup-hdrnn dropbear", "0", True),              # SSH by package
    ("allow-root-login empty-root-password", "openssh-sshd", "0", True),
    ("allow-root-login allow-empty-password", "dropbear", "0", True),
    ("allow-root-login ssh-server-dropbear", "", "0", False),         # keys or a hash
    (DEFAULT + " ssh-server-dropbear", "", "1", False),               # the lab override
    (DEFAULT + " ssh-server-dropbear", "", "yes", True),              # only "1" overrides
])
def test_passwordless_ssh(features, install, override, refused):
    why = policy.passwordless_ssh(features, install, override)
    assert bool(why) == refused
    if refused:
        assert "HDRNN_ROOT_AUTHORIZED_KEYS" in why and "\n" not in why


def test_the_image_and_kas_fragments_follow_it():
    """The default image has no SSH server; the only fragment that adds one sets the
    override, with its reason beside it."""
    image = (ROOT / "meta-hdrnn/recipes-core/images/hdrnn-image.bb").read_text()
    assert "inherit core-image extrausers hdrnn_image_policy" in image
    for frag in (ROOT / "kas").rglob("*.yml"):
        text = frag.read_text()
        if "ssh-server" in text or "dropbear" in text:
            assert 'HDRNN_LAB_ALLOW_PASSWORDLESS_SSH = "1"' in text, frag
