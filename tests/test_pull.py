"""hdrnn-pull against the emulated board: QEMU's sabrelite with its console on a pty, as
a USB serial adapter would present a real board's. Needs the CI test image
(`make test-image`)."""

import hashlib
import os

import pytest

from board import PROMPT, console, need_image, start
from helpers import run


@pytest.fixture(scope="module")
def board():
    """(pty path, qemu process) of a booted test image, root logged out (login prompt)."""
    need_image()
    qemu, pty = start()
    try:
        yield pty, qemu
    finally:
        qemu.kill()
        qemu.wait()


def test_pull_a_directory_over_the_console(board, tmp_path):
    pty, _ = board
    con = console(pty)
    try:
        con.send("\n")
        con.expect("login: ")
        con.send("root\n")
        con.expect(PROMPT)
        con.send("mkdir -p /tmp/res/sub && echo hello > /tmp/res/a.txt && "
                 "head -c 20000 /dev/urandom > /tmp/res/sub/b.bin && "
                 "sha256sum /tmp/res/sub/b.bin\n")
        con.expect(r"([0-9a-f]{64})  /tmp/res/sub/b.bin")
        digest = con.match.group(1)
        con.expect(PROMPT)
        con.send("exit\n")  # logged out again: hdrnn-pull logs in itself
        con.expect("login: ")
    finally:
        con.close()

    out = tmp_path / "res"
    r = run(["hdrnn-pull", "--user", "root", pty, "/tmp/res", str(out)], timeout=300)
    assert r.returncode == 0, r.stderr
    assert (out / "a.txt").read_text() == "hello\n"
    assert hashlib.sha256((out / "sub" / "b.bin").read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary left

    # a directory that is not there: one line, exit 3, nothing written
    r = run(["hdrnn-pull", pty, "/tmp/nothing-here", str(tmp_path / "x")], timeout=120)
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "x").exists()
    # an existing local directory is never merged into
    r = run(["hdrnn-pull", pty, "/tmp/res", str(out)], timeout=120)
    assert r.returncode == 4 and "already exists" in r.stderr

    con = console(pty)
    try:  # the board keeps no packing files
        con.send("ls /tmp/.xfer* 2>/dev/null | wc -l\n")
        con.expect(r"\n0\r?\n")
    finally:
        con.close()


def test_login_prompt_without_user_is_one_line(board, tmp_path):
    pty, _ = board
    con = console(pty)
    try:
        con.send("\n")
        if con.expect([PROMPT, "login: "]) == 0:
            con.send("exit\n")
            con.expect("login: ")
    finally:
        con.close()
    r = run(["hdrnn-pull", pty, "/tmp", str(tmp_path / "x")], timeout=120)
    assert r.returncode == 4 and "login prompt" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, code, words", [
    (["/dev/null", "/tmp", "{tmp}/x"], 2, "not a serial port"),
    (["{tmp}", "/tmp", "{tmp}/x"], 2, "a directory"),
    (["{tmp}/no-such-tty", "/tmp", "{tmp}/x"], 2, "no such device"),
    (["{tmp}/no-such-tty", "/tmp", "{tmp}/x", "--baud", "12345"], 2, "baud"),
    (["/dev/null", "/tmp", "{tmp}/x", "--timeout", "nan"], 2, "--timeout"),
    (["/dev/null", "/tmp", "{tmp}/x", "--timeout", "-5"], 2, "--timeout"),
    (["/dev/null", "/tmp", ""], 2, "empty"),
    (["/dev/null", "", "{tmp}/x"], 2, "empty"),
    (["/dev/null", "/tmp", "{tmp}"], 4, "already exists"),
    (["/dev/null", "/tmp", "{tmp}/missing/x"], 4, "no such directory"),
])
def test_refusals_before_any_copy(tmp_path, args, code, words):
    """Bad arguments are one line and the contract's code, and nothing is written."""
    before = sorted(tmp_path.iterdir())
    r = run(["hdrnn-pull", *[a.format(tmp=tmp_path) for a in args]], timeout=60)
    assert r.returncode == code, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(tmp_path.iterdir()) == before


def _framed(files: dict[str, bytes], noise: str = "") -> str:
    """What the board prints for fetch_command: a tar.gz in base64 lines of 76 between
    markers carrying the sha256 of those lines."""
    import base64
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    b64 = base64.b64encode(buf.getvalue()).decode()
    payload = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)) + "\n"
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return f"{noise}HDRNN-BEGIN-{digest}\n{payload}HDRNN-END-{digest}\n"


def test_unpack_takes_only_an_intact_frame():
    from hdrnn.console import unpack
    from hdrnn.errors import DataError
    files = {"./session.json": b"{}", "./runs/c.json": os.urandom(3000)}
    text = _framed(files, noise="[  12.3] kernel: noise\nlogin: ")
    assert unpack(text) == {"session.json": b"{}", "runs/c.json": files["./runs/c.json"]}
    # a character lost or changed on the line is caught by the checksum
    lines = text.split("\n")
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
    with pytest.raises(DataError, match="sha256"):
        unpack("\n".join(lines))
    with pytest.raises(DataError, match="no framed payload"):
        unpack(text.replace("HDRNN-END-", "HDRNN-XND-"))
    with pytest.raises(DataError, match="unsafe path"):
        unpack(_framed({"../../etc/x": b"x"}))
