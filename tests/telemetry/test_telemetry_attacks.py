"""Issue 14's attack rows on telemetry, each replayed against real parts: a real full filesystem
(a tmpfs of a few hundred KB), a real mosquitto stopped and restarted, real UDP sockets on
loopback, the real SITL recording and real MAVLink bytes. All traffic is bounded and local."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import struct
import subprocess
import threading
import time
from collections import Counter

import pytest
from conftest import ROOT
from telemetry_support import GRIDPATROL, TLOG, Subscriber, assert_streams_complete

from telemetry.mqtt import MqttSettings
from telemetry.publish import Publisher
from telemetry.service import BridgeOptions, run_bridge
from vehicle.decode import new_mav
from vehicle.link import open_link
from vehicle.tlog import TlogReader

# An undisturbed replay of the fixture flight gives these record counts (see test_telemetry_bridge).
FULL_FLIGHT = {"position": 499, "attitude": 530, "event": 39, "mission": 13}


@pytest.fixture
def tiny_disk(tmp_path):
    """A real filesystem of 512 KB (tmpfs), so the spool meets ENOSPC for real."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path) -> None:
    """Write zeros to ``path`` until the filesystem refuses another byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        GRIDPATROL + ["telemetry", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


# -- row: the spool on a full disk, broker down, then back -------------------------------------


def test_full_disk_with_the_broker_down_sheds_high_rate_kinds_keeps_events_and_says_so(
    mosquitto, tmp_path, tiny_disk
):
    sub = Subscriber(mosquitto.port)
    mosquitto.stop()
    bridge = subprocess.Popen(
        GRIDPATROL + ["telemetry", "--mavlink", str(TLOG), "--mqtt", mosquitto.url,
                      "--spool", str(tiny_disk / "spool.sqlite"), "--spool-max-mb", "2",
                      "--pace", "fast"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # The flight is spooled while the broker is down, until the disk really fills and the
        # spool gives up its reserve file. Waited for, not slept: on a loaded machine it takes
        # longer than any fixed pause.
        reserve = tiny_disk / "spool.sqlite.reserve"
        seen, deadline = False, time.monotonic() + 60
        while not (seen and not reserve.exists()) and time.monotonic() < deadline:
            assert bridge.poll() is None, bridge.communicate()[1]
            seen = seen or reserve.exists()
            time.sleep(0.01)
        assert seen and not reserve.exists(), "the disk never filled"
        mosquitto.start()
        _, err = bridge.communicate(timeout=60)  # it ends by itself: no endless loop
    finally:
        if bridge.poll() is None:
            bridge.kill()
    assert bridge.returncode == 1, err
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-1]
    lost = {
        k: int(n) for k, n in (p.split() for p in summary.split("(")[1].split(")")[0].split(", "))
    }
    assert summary.startswith(f"published {1405 - sum(lost.values())} of 1405 records")
    assert f"LOST {sum(lost.values())} records" in summary
    # Which high-rate kind fills the disk first depends on timing (the machine's load): any of
    # them may be shed, never an event, a state or a mission record.
    assert set(lost) <= {"position", "attitude", "battery", "gps"} and sum(lost.values()) > 0

    assert sub.wait(lambda: len(sub.records("event")) >= FULL_FLIGHT["event"], 10)
    time.sleep(0.5)
    sub.close()
    records = sub.records()
    # Room was kept for events: every event, state and mission record arrived, without a gap.
    kept = [r for r in records if r["kind"] in ("event", "state", "mission", "link")]
    counts = assert_streams_complete(kept)
    assert counts[("sys1", "event")] == FULL_FLIGHT["event"]
    assert counts[("sys1", "mission")] == FULL_FLIGHT["mission"]
    # Every dropped record is a gap a subscriber can see, and the summary counted exactly those.
    for kind in ("position", "attitude"):
        seqs = {r["seq"] for r in records if r["kind"] == kind}
        assert len(seqs) + lost.get(kind, 0) == FULL_FLIGHT[kind], kind
        if lost.get(kind):
            assert len(seqs) < max(seqs, default=0) or max(seqs, default=0) < FULL_FLIGHT[kind]
    # The link record says it too, per kind.
    dropped = [r for r in records if r["kind"] == "link"][-1]["dropped"]
    assert 0 < sum(dropped.values())
    assert all(n <= lost.get(kind, 0) for kind, n in dropped.items()), (dropped, lost)


def test_when_not_even_events_fit_they_are_held_retried_with_backoff_and_delivered(
    mosquitto, tmp_path, tiny_disk
):
    settings = MqttSettings.from_url(mosquitto.url)
    publisher = Publisher(settings, tiny_disk / "spool.sqlite", spool_max_bytes=2 * 1024 * 1024)
    attempts = Counter()
    real_put = publisher.spool.put_many

    def counted(rows, seqs):
        attempts["put"] += 1
        return real_put(rows, seqs)

    publisher.spool.put_many = counted
    publisher.spool.path.with_name("spool.sqlite.reserve").unlink(missing_ok=True)  # spent
    filler = tiny_disk / "filler"
    fill(filler)  # the disk is full to the last byte, and the reserve is spent
    sub = Subscriber(mosquitto.port)
    publisher.start()
    try:
        for i in range(50):
            publisher.publish("gridpatrol/v1/vehicles/sys1/event", b'{"n": %d}' % i)
        time.sleep(2.5)
        assert publisher.stats()["held"] == 50  # kept in memory, not dropped
        assert publisher.dropped() == {}
        assert attempts["put"] <= 12  # backing off: not a busy loop
        assert "disk full" in (publisher.last_error or "")
        filler.unlink()  # the operator frees space
        assert publisher.flush(10)
    finally:
        publisher.close(2)
    assert sub.wait(lambda: len(sub.messages) >= 50, 5)
    sub.close()
    assert [p for _, p in sub.messages] == [b'{"n": %d}' % i for i in range(50)]


# -- row: one garbage UDP datagram at 10 Hz from another port -----------------------------------


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gcs_heartbeats(sock: socket.socket) -> int:
    """How many GCS heartbeats wait on ``sock`` (drained)."""
    mav, n = new_mav(), 0
    sock.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while True:
            data = sock.recv(65536)
            for byte in data:
                msg = mav.parse_char(bytes([byte]))
                n += bool(msg and msg.get_type() == "HEARTBEAT" and msg.type == 6)
    return n


def test_garbage_from_another_port_never_steals_the_vehicles_gcs_heartbeats(mosquitto, tmp_path):
    port = free_udp_port()
    stop = threading.Event()
    opts = BridgeOptions(mavlink=[f"udpin:127.0.0.1:{port}"], mqtt=mosquitto.url,
                         spool=tmp_path / "spool.sqlite")  # fmt: skip
    bridge = threading.Thread(target=run_bridge, args=(opts, stop), daemon=True)
    vehicle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mav, rng = new_mav(1, 1), random.Random(14)
    forged_gcs = new_mav(7, 190)
    bridge.start()
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 4.2:
            if int((time.monotonic() - t0) * 10) % 10 == 0:
                vehicle.sendto(
                    mav.heartbeat_encode(2, 3, 0x81, 4, 4).pack(mav), ("127.0.0.1", port)
                )
            attacker.sendto(bytes(rng.randrange(256) for _ in range(60)), ("127.0.0.1", port))
            beat = forged_gcs.heartbeat_encode(6, 8, 0, 0, 4).pack(forged_gcs)
            attacker.sendto(beat, ("127.0.0.1", port))  # a GCS is not a vehicle either
            time.sleep(0.1)
        # 1 Hz GCS heartbeats for about 4 s: all of them reached the vehicle, none the attacker
        assert gcs_heartbeats(vehicle) >= 3
        assert gcs_heartbeats(attacker) == 0
    finally:
        stop.set()
        bridge.join(15)
        vehicle.close()
        attacker.close()


def test_with_signing_an_unsigned_vehicle_heartbeat_from_elsewhere_does_not_redirect(tmp_path):
    key = bytes(range(32))
    with open_link("udpin:127.0.0.1:0", signing_key=key) as link:
        port = link._transport.sock.getsockname()[1]
        vehicle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        forger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        signed = new_mav(1, 1)
        signed.signing.secret_key, signed.signing.sign_outgoing = key, True
        signed.signing.timestamp = int((time.time() - 1420070400) * 100000)
        vehicle.sendto(signed.heartbeat_encode(2, 3, 0, 0, 4).pack(signed), ("127.0.0.1", port))
        assert link.recv(1.0) is not None
        impostor = new_mav(1, 1)  # same system id, right message, no signature
        forger.sendto(impostor.heartbeat_encode(2, 3, 0, 0, 4).pack(impostor), ("127.0.0.1", port))
        assert link.recv(0.3) is None and link.stats()["unsigned_refused"] == 1
        link.mav.heartbeat_send(6, 8, 0, 0, 4)
        time.sleep(0.1)
        assert gcs_heartbeats(vehicle) == 1 and gcs_heartbeats(forger) == 0
        vehicle.close()
        forger.close()


# -- rows: a tlog whose first timestamp is 2^63 us; 1 MB of random bytes as a tlog ---------------


def test_an_absurd_first_timestamp_is_skipped_counted_and_the_flight_still_replays(
    mosquitto, tmp_path
):
    data = bytearray(TLOG.read_bytes())
    data[:8] = struct.pack(">Q", 2**63)
    bad = tmp_path / "bad-stamp.tlog"
    bad.write_bytes(bytes(data))
    stamps = [ts for ts, _ in TlogReader(TLOG)]
    sub = Subscriber(mosquitto.port)
    run = run_cli("--mavlink", str(bad), "--mqtt", mosquitto.url, "--pace", "fast",
                  "--spool", str(tmp_path / "spool.sqlite"))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "skipped 1 implausible tlog timestamps" in run.stderr.splitlines()[-1]
    assert sub.wait(lambda: len(sub.records("attitude")) >= FULL_FLIGHT["attitude"], 10)
    sub.close()
    records = sub.records()
    counts = assert_streams_complete(records)
    assert counts[("sys1", "position")] == FULL_FLIGHT["position"]
    assert all(stamps[1] <= r["wall_time"] <= stamps[-1] for r in records)
    assert [r for r in records if r["kind"] == "link"][-1]["bad_timestamps"] == 1


def test_a_file_of_random_bytes_is_reported_as_garbage_and_fails_in_one_line(mosquitto, tmp_path):
    junk = tmp_path / "junk.tlog"
    junk.write_bytes(random.Random(4).randbytes(1024 * 1024))
    sub = Subscriber(mosquitto.port)
    run = run_cli("--mavlink", str(junk), "--mqtt", mosquitto.url, "--pace", "fast",
                  "--spool", str(tmp_path / "spool.sqlite"))  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith(f"error: {junk} holds no MAVLink")
    assert "Traceback" not in run.stderr
    assert sub.wait(lambda: sub.records("link"), 5)
    sub.close()
    (link,) = sub.records("link")
    assert link["vehicle"] == "sys0" and link["messages"] == 0
    assert link["bytes_in"] > 0.99 * 1024 * 1024  # (a stamp that looks real is not passed on)
    assert link["bad_bytes"] + link["unknown_bytes"] == link["bytes_in"]
    assert link["bad_crc"] > 1000


def test_setting_up_signing_may_answer_the_vehicles_unsigned_heartbeat_but_not_garbage():
    """SETUP_SIGNING must reach a vehicle that does not sign yet: only inside the explicit set-up
    does its unsigned heartbeat set the reply address, and it is still never delivered."""
    key = bytes(range(32))
    with open_link("udpin:127.0.0.1:0", signing_key=key) as link:
        port = link._transport.sock.getsockname()[1]
        vehicle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        plain = new_mav(1, 1)
        with link.learning_unsigned_peer():
            attacker.sendto(bytes(range(60)), ("127.0.0.1", port))
            assert link.recv(0.3) is None
            vehicle.sendto(plain.heartbeat_encode(2, 3, 0, 0, 4).pack(plain), ("127.0.0.1", port))
            assert link.recv(0.3) is None  # refused: unsigned
        link.mav.heartbeat_send(6, 8, 0, 0, 4)
        time.sleep(0.1)
        assert gcs_heartbeats(vehicle) == 1 and gcs_heartbeats(attacker) == 0
        vehicle.close()
        attacker.close()
