"""Run one trainer as a child process and measure it the way GNU time does: wall time
from a monotonic clock, user/sys time and peak RSS from wait4(2). Optionally under a
memory limit, with perf counters, or between the marks of QEMU's cache plugin.

Why the trainer is started through /bin/sh: Linux carries a process's peak RSS across
exec (exec_mmap keeps the old mm's high-water mark in signal->maxrss), so a trainer
forked straight from this ~40 MiB Python process would report at least 40 MiB. GNU time
avoids that by being small; here /bin/sh (about 1 MiB) forks the trainer in the
background and exits, the trainer is re-parented to us (PR_SET_CHILD_SUBREAPER), and we
wait4() for it directly. The forked shell holds at a gate (a pipe) until sh has exited,
then execs the trainer: sh never sees it exit, so it cannot reap it and take its rusage.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import contract
from . import counters
from .limits import MemoryLimit

STDERR_TAIL = 2000
POLL_S = 0.005  # how often the runner looks at the trainer (exit, timeout, RSS parts)
# Between cache marks the plugin counts the whole guest, the runner included: it then
# blocks in wait4 (a timer thread enforces the timeout) and does not sample the RSS
# parts (docs/runner.md).
MARK = "hdrnn-mark"  # native/tools/hdrnn_mark.c, in the emulated image


@dataclass
class Measurement:
    exit_code: int | None          # None when killed by a signal
    signal: str | None
    timed_out: bool
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_kib: int
    events: list[dict] = field(default_factory=list)
    stderr_tail: str = ""
    bad_stdout: str | None = None  # the first stdout line that was not JSON
    perf: dict | None = None       # counters.py: {event: count or None}
    perf_missing: dict | None = None  # {event: why perf gave no count}
    rss: "RssPeaks | None" = None
    mark: int | None = None        # the hdrnn-mark tag the run was counted under


@dataclass
class RssPeaks:
    """Peaks of the resident set's parts, sampled from /proc/PID/status while the
    trainer runs: anonymous (heap, stacks, the data set) and file-backed (mapped
    binaries and libraries) memory. Sampled, so a peak shorter than the sampling
    interval can be missed; wait4's max_rss stays the headline figure."""
    anon_kib: int = 0
    file_kib: int = 0
    shmem_kib: int = 0
    samples: int = 0

    def sample(self, pid: int) -> None:
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                text = f.read()
        except OSError:
            return  # gone, or not Linux
        values = {}
        for line in text.splitlines():
            if line.startswith((b"RssAnon:", b"RssFile:", b"RssShmem:")):
                key, value = line.split(b":", 1)
                values[key] = int(value.split()[0])
        if not values.get(b"RssFile"):
            # nothing file-backed is mapped: the child is between fork and exec (or
            # inside exec), not yet the trainer; under load a first sample can land there
            return
        self.samples += 1
        self.anon_kib = max(self.anon_kib, values.get(b"RssAnon", 0))
        self.file_kib = max(self.file_kib, values.get(b"RssFile", 0))
        self.shmem_kib = max(self.shmem_kib, values.get(b"RssShmem", 0))


def perf_available() -> tuple[bool, str]:
    """Whether `perf stat` counts instructions here; the reason when it does not."""
    try:
        r = subprocess.run(["perf", "stat", "-x", ",", "-e", "instructions", "true"],
                           capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return False, "perf is not installed"
    except subprocess.TimeoutExpired:
        return False, "perf stat did not finish"
    first = (r.stderr.strip().splitlines() or [""])[0]
    if r.returncode != 0 or not first.split(",")[0].strip().isdigit():
        return False, f"perf stat cannot count here ({first.strip() or 'no output'})"
    return True, ""


_SUBREAPER: bool | None = None


def _become_subreaper() -> bool:
    global _SUBREAPER
    if _SUBREAPER is None:
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            _SUBREAPER = False
    return _SUBREAPER


def become_subreaper() -> bool:
    """Orphans of this process's descendants become its children (Linux): they can
    be found and reaped. False where the kernel cannot."""
    return _become_subreaper()


def rss_method() -> str:
    return ("wait4 on the trainer, forked by /bin/sh" if _become_subreaper()
            else "wait4 on a direct child (includes the runner's pre-exec RSS)")


# In the shell: fd 3 reports the trainer's pid, fd 4 is the gate. The trainer (the
# forked subshell) waits on the gate until sh has exited, so sh never sees it exit and
# cannot reap it (and its rusage) first; then it closes both and execs.
_SPAWN_SCRIPT = '{ read _ <&4; exec 3>&- 4<&- "$@"; } & echo $! >&3'


def _spawn(argv, out, err, env, preexec) -> tuple[int, int, int]:
    """Start argv held at a gate; return (pid to wait4 for, process group, gate fd).
    Writing a line to the gate fd and closing it lets the trainer exec."""
    if not _become_subreaper() or not os.path.exists("/bin/sh"):
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             env=env, start_new_session=True, preexec_fn=preexec)
        p.returncode = -1  # reaped with wait4 below, never by Popen
        return p.pid, p.pid, -1
    r, w = os.pipe()
    gate_r, gate_w = os.pipe()

    def child_setup() -> None:  # in the forked child, before exec: fds 3 and 4
        hi_w = fcntl.fcntl(w, fcntl.F_DUPFD, 10)
        hi_gate = fcntl.fcntl(gate_r, fcntl.F_DUPFD, 10)
        os.dup2(hi_w, 3)
        os.dup2(hi_gate, 4)
        if preexec:
            preexec()

    try:
        sh = subprocess.Popen(["/bin/sh", "-c", _SPAWN_SCRIPT, "hdrnn-spawn", *argv],
                              stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                              start_new_session=True, preexec_fn=child_setup,
                              pass_fds=(3, 4))
        os.close(w)
        w = -1
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = os.read(r, 32)
            if not chunk:
                break
            buf += chunk
        sh.wait()
    except BaseException:
        os.close(gate_w)
        raise
    finally:
        os.close(r)
        os.close(gate_r)
        if w >= 0:
            os.close(w)
    if not buf.strip().isdigit():
        os.close(gate_w)
        raise OSError(f"could not start {argv[0]} (sh exit {sh.returncode})")
    return int(buf), sh.pid, gate_w


def run(argv: list[str], timeout: float, env: dict | None = None,
        mem_limit: MemoryLimit | None = None, perf: bool = False,
        stdout_path: Path | None = None, mark: int | None = None) -> Measurement:
    """Run argv to completion or timeout and measure it; never raises for a failing
    child. argv is exec'd as given (never parsed by a shell); /bin/sh only forks it
    (see the module's docstring). stdout_path: where the child's stdout goes as it
    runs (kept: the run in flight's epochs survive the runner), else a temporary file.
    mark: run argv under hdrnn-mark with that tag (its exit status is argv's)."""
    with tempfile.TemporaryDirectory(prefix="hdrnn-run-") as tmp:
        out_path, err_path = stdout_path or Path(tmp) / "stdout", Path(tmp) / "stderr"
        perf_path, l2_path = Path(tmp) / "perf", Path(tmp) / "perf-l2"
        if perf:
            argv = counters.wrap(argv, perf_path, l2_path)
        if mark is not None:
            argv = [MARK, str(mark), *argv]
        try:
            rss = RssPeaks()
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                status, usage, wall, timed_out = _run_child(
                    argv, out, err, env, mem_limit, timeout,
                    None if mark is not None else rss)
        finally:
            if mem_limit:
                mem_limit.release()
        code = os.waitstatus_to_exitcode(status)
        sig = signal.Signals(-code).name if code < 0 else None
        events, bad = contract.parse_events(out_path.read_text(errors="replace"))
        counts, missing = {}, {}
        for path in (perf_path, l2_path) if perf else ():
            if path.exists():
                c, miss = counters.parse(path.read_text(errors="replace"))
                counts.update(c)
                missing.update(miss)
        stderr = err_path.read_text(errors="replace")
        return Measurement(
            exit_code=None if sig else code, signal=sig, timed_out=timed_out, wall_s=wall,
            user_s=usage.ru_utime, sys_s=usage.ru_stime,
            max_rss_kib=usage.ru_maxrss,  # KiB on Linux
            events=events, stderr_tail=stderr[-STDERR_TAIL:], bad_stdout=bad,
            perf=counts if perf else None, perf_missing=missing if perf else None,
            rss=rss if rss.samples else None, mark=mark)


def _run_child(argv, out, err, env, mem_limit: MemoryLimit | None, timeout: float,
               rss: RssPeaks | None):
    """Start argv, let it go, wait4 for it: (status, rusage, wall seconds, timed out).
    The resident set's parts are sampled at every poll (every POLL_S); without rss the
    runner blocks in wait4 and wakes only when the trainer ends or times out."""
    pid, group, gate = _spawn(argv, out, err, env,
                              mem_limit.apply_in_child if mem_limit else None)
    if mem_limit:
        mem_limit.attach(pid)
    start = time.monotonic()
    if gate >= 0:
        try:
            os.write(gate, b"go\n")
        except BrokenPipeError:
            pass  # it is gone already; wait4 reports how
        os.close(gate)
    try:
        if rss is None:
            return _wait_quietly(pid, group, start, timeout)
        while True:
            rss.sample(pid)  # before wait4: a zombie has no memory left to read
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                return status, usage, time.monotonic() - start, False
            if time.monotonic() - start > timeout:
                os.killpg(group, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                return status, usage, time.monotonic() - start, True
            time.sleep(POLL_S)
    except BaseException:
        # Ctrl-C or SIGTERM of the runner: the trainer runs in its own session, so it
        # would outlive us; end and reap it before going.
        os.killpg(group, signal.SIGKILL)
        os.wait4(pid, 0)
        raise


def _wait_quietly(pid: int, group: int, start: float, timeout: float):
    """wait4 without polling; a timer kills the process group at the timeout."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it ended as the timer fired
    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        _, status, usage = os.wait4(pid, 0)
    finally:
        timer.cancel()
    return status, usage, time.monotonic() - start, fired.is_set()
