# The login policy of hdrnn images (lib/hdrnn/imagepolicy.py): no SSH server together
# with an empty root password, unless the documented lab override is set. Checked before
# the root file system is made, so a forbidden image is never built.

HDRNN_LAB_ALLOW_PASSWORDLESS_SSH ??= "0"

hdrnn_check_login_policy[doc] = "Fails the image when an SSH server meets an empty root password"
python hdrnn_check_login_policy() {
    from hdrnn.imagepolicy import passwordless_ssh
    why = passwordless_ssh(d.getVar('IMAGE_FEATURES') or '', d.getVar('IMAGE_INSTALL') or '',
                           d.getVar('HDRNN_LAB_ALLOW_PASSWORDLESS_SSH') or '')
    if why:
        bb.fatal('%s: %s' % (d.getVar('PN'), why))
}
do_rootfs[prefuncs] += "hdrnn_check_login_policy"
do_rootfs[vardeps] += "HDRNN_LAB_ALLOW_PASSWORDLESS_SSH"
