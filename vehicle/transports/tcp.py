"""TCP transports: a client that reconnects, and a listener that serves one vehicle."""

from __future__ import annotations

import socket
import time
from typing import Any

from vehicle.transports.base import Chunks, Reopening, Transport, wait_readable

__all__ = ["TcpClient", "TcpListen"]


class TcpClient(Reopening):
    def __init__(self, url: str, host: str, port: int):
        self.host, self.port = host, port
        self.sock: socket.socket | None = None
        super().__init__(url)

    def _open(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=2.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(2.0)
        self.sock = sock

    def _fileno(self) -> Any:
        return self.sock

    def _recv(self) -> bytes | None:
        assert self.sock is not None
        return self.sock.recv(65536)

    def _send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class TcpListen(Transport):
    """``tcpin``: waits for one peer (e.g. a vehicle or a router) and serves it until it leaves."""

    def __init__(self, host: str, port: int):
        self.server = socket.create_server((host, port), reuse_port=False)
        self.client: socket.socket | None = None
        self.connected = False

    def read(self, timeout: float) -> Chunks:
        if self.client is None:
            if not wait_readable(self.server, timeout):
                return []
            self.client, _ = self.server.accept()
            self.connected = True
            return []
        if not wait_readable(self.client, timeout):
            return []
        try:
            data = self.client.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.client.close()
            self.client = None
            self.connected = False
            self.reconnects += 1
            return []
        return [(time.time(), data)]

    def write(self, data: bytes) -> None:
        if self.client is None:
            self.tx_dropped += 1
            return
        try:
            self.client.sendall(data)
        except OSError:
            self.tx_dropped += 1

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.server.close()
