"""Runs SITL in a private network namespace, relaying its MAVLink UDP to the host's loopback.

SITL binds its RC-input port (UDP 5501 + 10 × instance) on every interface and has no option to
change that, so on a machine with a network card the simulator would take RC input from anyone.
This relay opens the host-side sockets on 127.0.0.1 first, then moves itself into a new network
namespace (which has only its own loopback), starts SITL there, and copies datagrams between the
two sides. Sockets keep the namespace they were made in, so one process can straddle both.

Run as ``python -m sim.netns --base PORT --serials N -- arducopter ...``. Where namespaces are not
permitted (no root and no user namespaces) it says so in one line and runs SITL directly.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys

__all__ = ["main"]

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def _unshare_network() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return False
    # Map ourselves to root inside the new user namespace so we may bring its loopback up.
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")
    return True


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.netns")
    parser.add_argument("--base", type=int, required=True, help="first host loopback UDP port")
    parser.add_argument("--serials", type=int, default=1, help="how many consecutive ports")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    ports = [args.base + k for k in range(args.serials)]
    host = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("127.0.0.1", port))
        host.append(s)
    try:
        isolated = _unshare_network()
        if isolated:
            _loopback_up()
    except OSError:
        isolated = False
    if not isolated:
        for s in host:
            s.close()
        print(
            "warning: no private network namespace (needs root or user namespaces); SITL's "
            "RC-input UDP port listens on every interface",
            file=sys.stderr,
            flush=True,
        )
        os.execvp(command[0], command)

    inner = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        inner.append(s)
    # An ICMP "port unreachable" (the GCS not listening yet) wakes select() with no datagram to
    # read; a blocking recv would then hang the relay for good.
    for s in host + inner:
        s.setblocking(False)
    child = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())

    selector = selectors.DefaultSelector()
    for k in range(len(ports)):
        selector.register(host[k], selectors.EVENT_READ, ("out", k))
        selector.register(inner[k], selectors.EVENT_READ, ("in", k))
    sitl_addr: list[tuple[str, int] | None] = [None] * len(ports)
    while child.poll() is None:
        for key, _ in selector.select(timeout=0.5):
            direction, k = key.data
            try:
                if direction == "in":
                    data, sitl_addr[k] = inner[k].recvfrom(65535)
                    host[k].send(data)
                else:
                    data = host[k].recv(65535)
                    if sitl_addr[k] is not None:
                        inner[k].sendto(data, sitl_addr[k])
            except OSError:
                # Nothing to read after all, or nobody listening on the host side yet: UDP may
                # drop, as SITL's own udpclient would, and the GCS asks again.
                continue
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
