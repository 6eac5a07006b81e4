# SPDX-License-Identifier: MIT
"""Python helpers of the meta-hdrnn layer (on bitbake's path through addpylib)."""
