"""Minimal safetensors (float32) reader and writer.

The board's Python has no ``safetensors`` package (it needs Rust), and the format is
small: an 8-byte little-endian header length, a JSON header, then the raw tensors. The
tests check these files against the official ``safetensors`` library both ways.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np

from . import contract
from .errors import DataError
from .files import read_file, write_atomic


def save(path: str | os.PathLike, tensors: dict[str, np.ndarray],
         metadata: dict[str, str] | None = None) -> None:
    """Write float32 tensors atomically (temporary name, fsync, rename)."""
    header: dict[str, object] = {}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the spec allows space padding; keeps data aligned
    write_atomic(path, [struct.pack("<Q", len(text)), text, *blobs])


MAX_HEADER = 100 << 20  # the format's own limit


def _offsets(name: str, info, base: int, size: int) -> tuple[int, int]:
    b, e = info["data_offsets"]
    shape = info["shape"]
    if not all(type(v) is int and v >= 0 for v in (b, e, *shape)):
        raise ValueError(f"tensor {name}: shape and offsets must be non-negative integers")
    if e - b != 4 * int(np.prod(shape, dtype=np.int64)) or e < b or base + e > size:
        raise ValueError(f"tensor {name}: data offsets out of range")
    return b, e


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the float32 tensors of a safetensors file; DataError if it is malformed."""
    return read(path)[0]


def read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The float32 tensors and the string metadata of a safetensors file."""
    return parse(read_file(Path(path), "a safetensors file"), path)


def parse(blob: bytes, path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """read() on the bytes of path, already read."""
    try:
        (n,) = struct.unpack_from("<Q", blob)
        if n > MAX_HEADER or 8 + n > len(blob):
            raise ValueError("no valid header")
        header = json.loads(blob[8:8 + n])
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
        base = 8 + n
        out = {}
        meta = header.get("__metadata__") or {}
        if not isinstance(meta, dict):
            raise ValueError("__metadata__ is not an object")
        meta = {k: v for k, v in meta.items() if isinstance(v, str)}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "F32":
                raise ValueError(f"tensor {name} is not F32")
            b, e = _offsets(name, info, base, len(blob))
            out[name] = np.frombuffer(blob, dtype="<f4", count=(e - b) // 4,
                                      offset=base + b).reshape(info["shape"])
        return out, meta
    except (struct.error, ValueError, KeyError, TypeError, IndexError,
            RecursionError) as e:
        raise DataError(f"{path}: not a valid safetensors file: {e}") from None


def load_params(path: str | os.PathLike, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """--weights-in: the (weight [out, in], bias [out]) of every layer of the network
    with these layer sizes, as float32 copies. The file must hold exactly the contract's
    tensors for that shape, all finite: otherwise DataError naming the tensor."""
    return params_of(path, load(path), sizes)


def params_of(path, tensors: dict[str, np.ndarray],
              sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """load_params on tensors already read from path."""
    params, wanted = [], {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w_name, b_name = contract.weight_name(layer), contract.bias_name(layer)
        wanted[w_name], wanted[b_name] = (n_out, n_in), (n_out,)
    for name in tensors:
        if name not in wanted:
            raise DataError(f"{path}: unexpected tensor '{name[:64]}' (the network has no "
                            "such parameter)")
    for name, shape in wanted.items():
        if name not in tensors:
            raise DataError(f"{path}: missing tensor {name}")
        t = tensors[name]
        if t.shape != shape:
            raise DataError(f"{path}: tensor {name} has shape {_shape(t.shape)}, the network "
                            f"needs {_shape(shape)}")
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise DataError(f"{path}: tensor {name} holds NaN or inf (element {bad[0]})")
    for layer in range(len(sizes) - 1):
        w_name, b_name = contract.weight_name(layer), contract.bias_name(layer)
        params.append((tensors[w_name].astype(np.float32),
                       tensors[b_name].astype(np.float32)))
    return params


def _shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"
