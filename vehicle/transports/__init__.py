"""Byte transports for MAVLink links, picked by address: tcp, tcpin, udpin, udpout, serial, .tlog.

One base (``Transport``) and one file per kind, as httpx keeps its transports.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from mission.text import N_
from vehicle.errors import LinkError
from vehicle.transports.base import Chunks, Pace, Transport
from vehicle.transports.replay import TlogReplay
from vehicle.transports.serial import Serial
from vehicle.transports.tcp import TcpClient, TcpListen
from vehicle.transports.udp import Udp

__all__ = ["Chunks", "Pace", "Transport", "transport_for"]


def _host_port(url: str, rest: str) -> tuple[str, int]:
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise LinkError(
            N_(
                "bad MAVLink address {url}; use e.g. tcp:127.0.0.1:5760 or udpin:0.0.0.0:14550",
                url=repr(url),
            )
        )
    return host or "0.0.0.0", int(port)


def transport_for(url: str, pace: Pace, speed: float) -> Transport:
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    try:
        if url.endswith(".tlog"):
            path = Path(url)
            if not path.is_file():
                raise LinkError(N_("no such tlog file {url}; check the path", url=url))
            return TlogReplay(path, pace, speed)
        if scheme == "tcp":
            return TcpClient(url, *_host_port(url, rest))
        if scheme == "tcpin":
            return TcpListen(*_host_port(url, rest))
        if scheme in ("udp", "udpin"):
            return Udp(*_host_port(url, rest), listen=True)
        if scheme == "udpout":
            return Udp(*_host_port(url, rest), listen=False)
        if scheme == "serial" or url.startswith("/dev/") or scheme.upper().startswith("COM"):
            path, _, baud = (rest if scheme == "serial" else url).replace(":", ",").rpartition(",")
            if not baud.isdigit():
                path, baud = path or baud, "57600"
            return Serial(url, path, int(baud))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.ECONNREFUSED or isinstance(exc, TimeoutError):
            hint = "is the vehicle/SITL running?"
        else:
            hint = "check the address and that the port is free"
        raise LinkError(
            N_(
                "cannot connect to {url}: {problem}; {hint}",
                url=url,
                problem=reason.lower(),
                hint=hint,
            )
        ) from exc
    raise LinkError(
        N_(
            "unknown MAVLink address {url}; use tcp:HOST:PORT, tcpin:, udpin:, udpout:, "
            "/dev/ttyUSB0,57600 or a .tlog file",
            url=repr(url),
        )
    )
