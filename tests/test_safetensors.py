"""Our minimal safetensors writer/reader interoperates with the official library."""

import numpy as np
import pytest

from hdrnn import safetensors_io
from hdrnn.errors import DataError

st = pytest.importorskip("safetensors.numpy")


def test_ours_read_by_official(tmp_path):
    t = {"layers.0.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
         "layers.0.bias": np.array([1.5, -2.0, 3.25], dtype=np.float32)}
    safetensors_io.save(tmp_path / "a.safetensors", t, {"impl": "x"})
    back = st.load_file(str(tmp_path / "a.safetensors"))
    for k in t:
        assert np.array_equal(back[k], t[k])


def test_official_read_by_ours(tmp_path):
    t = {"w": np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)}
    st.save_file(t, str(tmp_path / "b.safetensors"))
    assert np.array_equal(safetensors_io.load(tmp_path / "b.safetensors")["w"], t["w"])


def test_garbage_is_a_data_error(tmp_path):
    (tmp_path / "c.safetensors").write_bytes(b"\xff" * 20)
    with pytest.raises(DataError, match="not a valid safetensors"):
        safetensors_io.load(tmp_path / "c.safetensors")
