"""A logged-in shell on a serial port, with the standard library only (termios): what
`hdrnn-pull` needs to run one command on a board and read its output. Prompts are never
parsed: readiness and exit codes come from markers that only the shell's *output* can
contain (the echoed command line holds `$((6*7))`, the output `42`)."""

from __future__ import annotations

import os
import re
import select
import termios
import time
import tty

from .errors import ResourceError, UsageError

_READY = "HDRNN-READY-$((6*7))"
_READY_OUT = "HDRNN-READY-42"
_EXIT = re.compile(r"HDRNN-EXIT-(\d+)")
_LOGIN = re.compile(r"login: *$", re.M)
_PASSWORD = re.compile(r"[Pp]assword: *$", re.M)


def _speed(baud: int) -> int:
    name = f"B{baud}"
    if not hasattr(termios, name):
        raise UsageError(f"unsupported baud rate {baud}")
    return getattr(termios, name)


class SerialShell:
    """The shell on ``device`` (a tty: /dev/ttyUSB0, a QEMU pty) at ``baud``."""

    def __init__(self, device: str, baud: int = 115200):
        speed = _speed(baud)
        try:
            self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise UsageError(f"{device}: no such device") from None
        except IsADirectoryError:
            raise UsageError(f"{device}: a directory, not a serial port") from None
        except OSError as e:
            raise ResourceError(f"{device}: {e.strerror}") from None
        self.device = device
        if not os.isatty(self.fd):
            os.close(self.fd)
            raise UsageError(f"{device}: not a serial port or terminal")
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        attrs[4] = attrs[5] = speed  # ispeed, ospeed
        attrs[2] |= termios.CLOCAL | termios.CREAD
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        termios.tcflush(self.fd, termios.TCIFLUSH)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> "SerialShell":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, text: str) -> None:
        data = text.encode()
        while data:
            select.select([], [self.fd], [], 5)
            data = data[os.write(self.fd, data):]

    def _read_until(self, patterns: list[re.Pattern], timeout: float) -> tuple[int, str]:
        """Output until one of patterns matches: (its index, the text so far, \\r removed)."""
        buf = bytearray()
        end = time.monotonic() + timeout
        while True:
            text = buf.decode(errors="replace").replace("\r", "")
            for i, p in enumerate(patterns):
                if p.search(text):
                    return i, text
            left = end - time.monotonic()
            if left <= 0:
                return -1, text
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    buf += os.read(self.fd, 65536)
                except BlockingIOError:
                    pass
                except OSError as e:  # the other end went away (QEMU exited, cable)
                    raise ResourceError(f"{self.device}: {e.strerror}") from None

    def ready(self, user: str | None, password: str | None, timeout: float = 60) -> None:
        """Reach a shell: log in as user if the board shows a login prompt."""
        self._send("\n")
        _, text = self._read_until([_LOGIN], 3)
        if _LOGIN.search(text):
            if not user:
                raise ResourceError(f"{self.device}: the board shows a login prompt: log in "
                                    "first or give --user")
            self._send(user + "\n")
            i, _ = self._read_until([_PASSWORD], 5)
            if i == 0:
                if password is None:
                    raise ResourceError(f"{self.device}: the board asks for {user}'s password "
                                        "(set HDRNN_CONSOLE_PASSWORD)")
                self._send(password + "\n")
        self._send(_READY + "\n")
        i, _ = self._read_until([re.compile(re.escape(_READY_OUT)), _LOGIN, _PASSWORD], timeout)
        if i == 0:
            return
        if i > 0:
            raise ResourceError(f"{self.device}: login failed")
        raise ResourceError(f"{self.device}: no shell answered within {timeout:.0f} s "
                            "(is the board booted, the baud rate right?)")

    def run(self, command: str, timeout: float) -> tuple[list[str], int]:
        """Run command in a subshell; its output lines and exit code (labgrid's shape)."""
        self._send(f"( {command} ); echo HDRNN-EXIT-$?\n")
        i, text = self._read_until([_EXIT], timeout)
        if i < 0:
            raise ResourceError(f"{self.device}: the command did not finish within "
                                f"{timeout:.0f} s")
        m = _EXIT.search(text)
        lines = text[:m.start()].split("\n")
        return lines, int(m.group(1))
