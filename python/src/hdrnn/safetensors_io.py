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


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the float32 tensors of a safetensors file; DataError if it is malformed."""
    path = Path(path)
    blob = read_file(path, "a safetensors file")
    try:
        (n,) = struct.unpack_from("<Q", blob)
        header = json.loads(blob[8:8 + n])
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "F32":
                raise ValueError(f"tensor {name} has dtype {info['dtype']}, expected F32")
            b, e = info["data_offsets"]
            if base + e > len(blob):
                raise ValueError(f"tensor {name} runs past the end of the file")
            out[name] = np.frombuffer(blob, dtype="<f4", count=(e - b) // 4,
                                      offset=base + b).reshape(info["shape"])
        return out
    except (struct.error, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: not a valid safetensors file: {e}") from None
