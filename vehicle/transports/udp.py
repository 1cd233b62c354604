"""UDP transports: listening for a vehicle (``udpin``) or sending to one (``udpout``)."""

from __future__ import annotations

import socket
import time

from vehicle.transports.base import Chunks, Transport, wait_readable

__all__ = ["Udp"]


class Udp(Transport):
    """``udpin`` binds and answers the last sender; ``udpout`` sends to a fixed address."""

    def __init__(self, host: str, port: int, *, listen: bool):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.peer: tuple[str, int] | None = None
        if listen:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
        else:
            self.peer = (host, port)

    def read(self, timeout: float) -> Chunks:
        if not wait_readable(self.sock, timeout):
            return []
        chunks: Chunks = []
        while True:
            try:
                data, addr = self.sock.recvfrom(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return chunks
            except OSError:  # ICMP port unreachable on udpout before the peer exists
                return chunks
            if self.peer is None or addr != self.peer:
                self.peer = addr
            chunks.append((time.time(), data))

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
