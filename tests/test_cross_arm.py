"""The cross-built (Cortex-A9, NEON, hard float) C and Eigen trainers: the right
attributes and instructions, and the same results under qemu-arm as the host
reference."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, missing, trainer_cmd
from parity import ACCURACY_POINTS, THESIS_SIZES, max_abs_diff, tolerance, train

ARM_BIN = Path(os.environ.get("HDRNN_ARM_BIN", ROOT / "build" / "native-armv7" / "bin"))
SYSROOT = "/usr/arm-linux-gnueabihf"
TRAIN, TEST = 500, 500  # a small subset: qemu-arm emulates ~50x slower than the host


def _need(path_or_tool: str) -> str:
    found = shutil.which(path_or_tool) if "/" not in path_or_tool else (
        path_or_tool if Path(path_or_tool).exists() else None)
    if not found:
        missing(f"{path_or_tool} not found (make native-arm installs and builds it)")
    return found


def arm_cmd(impl: str) -> list[str]:
    exe = _need(str(ARM_BIN / f"hdrnn-{impl}"))
    return [_need("qemu-arm"), "-cpu", "cortex-a9", "-L", SYSROOT, exe]


@pytest.mark.parametrize("impl", ["c", "eigen"])
def test_attributes_neon_vfpv3(impl):
    exe = _need(str(ARM_BIN / f"hdrnn-{impl}"))
    out = subprocess.run([_need("arm-linux-gnueabihf-readelf"), "-A", exe],
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tag_FP_arch: VFPv3\b", out), out
    assert "VFPv4" not in out
    assert "Tag_Advanced_SIMD_arch: NEONv1" in out and "Tag_ABI_VFP_args: VFP registers" in out


def _function_bodies(exe: str) -> dict[str, str]:
    dis = subprocess.run([_need("arm-linux-gnueabihf-objdump"), "-d", "--no-show-raw-insn",
                          "-C", exe], capture_output=True, text=True, check=True).stdout
    bodies, name = {}, None
    for line in dis.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            name = m.group(1)
            bodies[name] = ""
        elif name:
            bodies[name] += line + "\n"
    return bodies


NEON_FLOAT = re.compile(r"\bv(mla|mul|add|sub|fma)\.f32\s+q\d+")


def test_c_training_code_uses_neon():
    bodies = _function_bodies(_need(str(ARM_BIN / "hdrnn-c")))
    # the Cortex-A9 micro-kernels (hdrnn_a9.c) and the portable kernels around them
    for fn in ("hdrnn_a9_dot_2x5", "hdrnn_a9_update_4x12", "hdrnn_net_train_batch"):
        body = next(v for k, v in bodies.items() if k == fn)
        assert len(NEON_FLOAT.findall(body)) >= 4, f"{fn}: no NEON float arithmetic"


def test_eigen_training_code_uses_neon():
    bodies = _function_bodies(_need(str(ARM_BIN / "hdrnn-eigen")))
    gemm = [v for k, v in bodies.items() if "gebp" in k or "general_matrix" in k]
    assert gemm, "no Eigen GEMM kernel found"
    assert sum(len(NEON_FLOAT.findall(b)) for b in gemm) >= 8


def test_eigen_forward_kernel_streams_rows_with_writeback():
    """The forward pass's matrix x vector kernel (hdrnn_eigen_a9.hpp): one input load and
    eight weight-row loads that advance their own pointers, eight VMLA, per step."""
    bodies = _function_bodies(_need(str(ARM_BIN / "hdrnn-eigen")))
    gemv = [v for k, v in bodies.items() if "general_matrix_vector_product" in k
            and "const_blas_data_mapper<float, int, 1>, 1," in k]
    assert gemv, "no row-major GEMV kernel found"
    writeback = re.findall(r"vld1\.32\s+\{d\d+-d\d+\}, \[\w+\]!", "".join(gemv))
    assert len(writeback) >= 9, writeback


@pytest.mark.parametrize("hidden", THESIS_SIZES)
@pytest.mark.parametrize("impl", ["c", "eigen"])
def test_qemu_arm_agrees_with_host(impl, hidden, mnist10k, tmp_path):
    ref, ref_acc = train(trainer_cmd("numpy"), mnist10k, hidden, tmp_path / "ref.st",
                         train_limit=TRAIN, test_limit=TEST)
    host, host_acc = train(trainer_cmd(impl), mnist10k, hidden, tmp_path / "host.st",
                           train_limit=TRAIN, test_limit=TEST)
    arm, arm_acc = train(arm_cmd(impl), mnist10k, hidden, tmp_path / "arm.st",
                         train_limit=TRAIN, test_limit=TEST)
    assert max_abs_diff(ref, arm) < tolerance(hidden)
    assert max_abs_diff(host, arm) < tolerance(hidden)
    if impl == "c":  # same kernels and summation order on NEON and portable x86 (hdrnn_vec.h)
        assert all(host[k].tobytes() == arm[k].tobytes() for k in host), "not bitwise equal"
    assert abs(arm_acc - ref_acc) * 100 <= ACCURACY_POINTS
    assert abs(arm_acc - host_acc) * 100 <= ACCURACY_POINTS


@pytest.mark.parametrize("hidden,batch", [("33,3", "7"), ("31", "64")])
def test_c_odd_shapes_bitwise(hidden, batch, mnist10k, tmp_path):
    """Shapes the thesis sizes leave out: an odd number of rows (the fused first layer's
    last pair of rows, the 4-row tiles' rest), a short last block of samples, the
    largest batch the fused pass takes. A heap overrun here once aborted at free()."""
    extra = ["--batch", batch]
    host, _ = train(trainer_cmd("c") + extra, mnist10k, hidden, tmp_path / "host.st",
                    train_limit=200, test_limit=50)
    arm, _ = train(arm_cmd("c") + extra, mnist10k, hidden, tmp_path / "arm.st",
                   train_limit=200, test_limit=50)
    assert all(host[k].tobytes() == arm[k].tobytes() for k in host), "not bitwise equal"
