"""UDP transports: listening for a vehicle (``udpin``) or sending to one (``udpout``).

A listening socket hears anyone who can reach its port, so it never picks its reply address
itself: it hands each datagram up with its sender, and the link (which decodes and checks
signatures) calls ``learn_peer`` only for a datagram that proved to come from a vehicle.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from vehicle.transports.base import Chunks, Transport, wait_readable

__all__ = ["Udp", "Datagrams"]

Datagrams = list[tuple[float, bytes, Any]]


class Udp(Transport):
    """``udpin`` binds and answers the peer the link vouched for; ``udpout`` has a fixed peer."""

    def __init__(self, host: str, port: int, *, listen: bool):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.peer: tuple[str, int] | None = None
        self.listen = listen
        if listen:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
        else:
            self.peer = (host, port)

    def read_datagrams(self, timeout: float) -> Datagrams:
        """Every datagram waiting, as (arrival time, bytes, sender); [] at timeout."""
        if not wait_readable(self.sock, timeout):
            return []
        out: Datagrams = []
        while True:
            try:
                data, addr = self.sock.recvfrom(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:  # ICMP port unreachable on udpout before the peer exists
                return out
            out.append((time.time(), data, addr))

    def read(self, timeout: float) -> Chunks:
        return [(ts, data) for ts, data, _ in self.read_datagrams(timeout)]

    def learn_peer(self, addr: Any) -> None:
        """Reply to ``addr`` from now on (``udpin`` only; ``udpout``'s peer is fixed)."""
        if self.listen:
            self.peer = addr

    def write(self, data: bytes) -> None:
        if self.peer is None:
            self.tx_dropped += 1
            return
        try:
            self.sock.sendto(data, self.peer)
        except OSError:
            self.tx_dropped += 1

    def close(self) -> None:
        self.sock.close()
