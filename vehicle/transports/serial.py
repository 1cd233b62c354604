"""A serial-port transport (radio modems, USB autopilots), reopened when unplugged."""

from __future__ import annotations

import os
import select
from typing import Any

from mission.text import N_
from vehicle.errors import LinkError
from vehicle.transports.base import Reopening

__all__ = ["Serial"]


class Serial(Reopening):
    """A serial port in raw mode at ``baud`` via termios (no pyserial needed on POSIX)."""

    def __init__(self, url: str, path: str, baud: int):
        self.path, self.baud = path, baud
        self.fd: int | None = None
        super().__init__(url)

    def _open(self) -> None:
        import termios
        import tty

        speed = getattr(termios, f"B{self.baud}", None)
        if speed is None:
            raise LinkError(
                N_(
                    "unsupported baud rate {baud} in {url}; use e.g. 57600",
                    baud=self.baud,
                    url=self.url,
                )
            )
        fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except termios.error:
            pass  # a pty or a USB bridge may ignore line settings; bytes still flow
        self.fd = fd

    def _fileno(self) -> Any:
        return self.fd

    def _recv(self) -> bytes | None:
        assert self.fd is not None
        try:
            return os.read(self.fd, 65536)
        except BlockingIOError:
            return None

    def _send(self, data: bytes) -> None:
        assert self.fd is not None
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
