"""Links: tlog replay against pymavlink's own reading, garbage tolerance, signing, reconnects,
serial over a pty, UDP replies and rotating recordings, all with real MAVLink bytes."""

from __future__ import annotations

import os
import random
import socket
import struct
import threading
import time
from collections import Counter

import pytest
from conftest import FIXTURES
from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.decode import new_mav
from vehicle.errors import VehicleError
from vehicle.link import open_link, read_signing_key
from vehicle.tlog import TlogReader

TLOG = FIXTURES / "copter-patrol-1x.tlog"


def drain(link, timeout=2.0):
    out = []
    while (m := link.recv(timeout)) is not None:
        out.append(m)
    return out


def vehicle_mav(sysid=1, key=None):
    mav = new_mav(sysid, 1)
    if key is not None:
        mav.signing.secret_key = key
        mav.signing.sign_outgoing = True
        mav.signing.link_id = 0
        mav.signing.timestamp = int((time.time() - 1420070400) * 100000)
    return mav


def position(mav, i):
    msg = mav.global_position_int_encode(
        i * 100, 360650000 + i, 1037950000 - i, 1520000, 20000, 0, 0, 0, 0
    )
    buf = bytes(msg.pack(mav))
    mav.seq = (mav.seq + 1) % 256
    return buf


def pymavlink_reading(path):
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(str(path), dialect="ardupilotmega")
    out = []
    while (m := conn.recv_match()) is not None:
        out.append(m)
    return out


def test_fast_replay_matches_pymavlink_reading_of_the_sitl_flight():
    with open_link(str(TLOG), pace="fast") as link:
        got = drain(link)
        assert link.exhausted
        stats = link.stats()
    ref = pymavlink_reading(TLOG)
    assert Counter(m.get_type() for m in got) == Counter(m.get_type() for m in ref)
    ours = [m.to_dict() for m in got if m.get_type() == "GLOBAL_POSITION_INT"]
    theirs = [m.to_dict() for m in ref if m.get_type() == "GLOBAL_POSITION_INT"]
    assert len(ours) == 530 and ours == theirs
    assert stats["messages"] == len(ref) and stats["bad_bytes"] == 0
    first_ts = struct.unpack(">Q", TLOG.read_bytes()[:8])[0] / 1e6
    assert got[0]._timestamp == pytest.approx(first_ts)


def test_recorded_pace_keeps_the_recorded_timing_scaled_by_speed():
    records = list(TlogReader(TLOG))
    span = records[-1][0] - records[0][0]
    start = time.monotonic()
    with open_link(str(TLOG), pace="recorded", speed=200) as link:
        n = len(drain(link))
    elapsed = time.monotonic() - start
    assert n == 14532
    assert elapsed >= 0.9 * span / 200


def garbage_stream(seed):
    """Good packets mixed with random garbage, truncated packets and unknown ids; the truth."""
    rng = random.Random(seed)
    mav = vehicle_mav()
    parts, good, bad, unknown = [], 0, 0, []
    for i in range(400):
        roll = rng.random()
        if roll < 0.15:
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
            parts.append(junk)
            bad += len(junk)
        elif roll < 0.25:
            pkt = position(mav, i)
            cut = pkt[: rng.randrange(1, len(pkt) - 1)]
            parts.append(cut)
            bad += len(cut)
        elif roll < 0.30:
            payload = bytes(rng.randrange(256) for _ in range(8))
            hdr = struct.pack("<BBBBBBBHB", 0xFD, len(payload), 0, 0, 0, 1, 1, 42424 & 0xFFFF, 0)
            parts.append(hdr + payload + b"\x00\x00")
            unknown.append(len(parts[-1]))
        else:
            parts.append(position(mav, i))
            good += 1
    # end on a good packet so no trailing partial frame is pending
    parts.append(position(mav, 999))
    return b"".join(parts), good + 1, bad, unknown


def test_garbage_truncation_and_unknown_ids_are_counted_not_fatal():
    data, good, bad, unknown = garbage_stream(seed=7)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def vehicle():
        conn, _ = server.accept()
        for k in range(0, len(data), 333):
            conn.sendall(data[k : k + 333])
        time.sleep(0.2)
        conn.close()

    t = threading.Thread(target=vehicle)
    t.start()
    with open_link(f"tcp:127.0.0.1:{port}") as link:
        got = drain(link, timeout=1.0)
        stats = link.stats()
    t.join()
    server.close()
    assert [m.get_type() for m in got] == ["GLOBAL_POSITION_INT"] * good
    assert stats["messages"] == good
    # An unknown id has no CRC extra, so a truncated header can pass for one: every byte is still
    # accounted for exactly, and no real unknown-id packet is missed.
    assert stats["bad_bytes"] + stats["unknown_bytes"] == bad + sum(unknown)
    assert len(unknown) <= stats["unknown"] <= len(unknown) + 2


def test_sequence_gaps_are_counted_as_drops():
    mav = vehicle_mav()
    beat = bytes(mav.heartbeat_encode(2, 3, 0, 0, 4).pack(mav))
    mav.seq = (mav.seq + 1) % 256
    packets = [position(mav, i) for i in range(50)]
    kept = [beat] + [p for i, p in enumerate(packets) if i not in (10, 11, 30)]
    with open_link("udpin:127.0.0.1:0") as link:
        port = link._transport.sock.getsockname()[1]
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for p in kept:
            tx.sendto(p, ("127.0.0.1", port))
        got = drain(link, timeout=0.5)
        assert len(got) == 48
        assert link.stats()["seq_drops"] == 3
        # udpin answers whoever spoke last
        link.mav.heartbeat_send(6, 8, 0, 0, 0)
        tx.settimeout(2)
        reply = new_mav().decode(bytearray(tx.recv(300)))
        assert reply.get_type() == "HEARTBEAT" and reply.get_srcSystem() == 255
        tx.close()


def test_tcp_link_reconnects_after_the_vehicle_side_drops():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    mav = vehicle_mav()

    def vehicle():
        for session in range(2):
            conn, _ = server.accept()
            conn.sendall(b"".join(position(mav, session * 10 + i) for i in range(10)))
            time.sleep(0.3)
            conn.close()

    t = threading.Thread(target=vehicle)
    t.start()
    with open_link(f"tcp:127.0.0.1:{port}") as link:
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 20 and time.monotonic() < deadline:
            if (m := link.recv(0.5)) is not None:
                got.append(m)
        stats = link.stats()
    t.join()
    server.close()
    assert [m.lat - 360650000 for m in got] == list(range(20))
    assert stats["reconnects"] == 1


def test_signed_link_refuses_unsigned_messages_and_signs_its_own(tmp_path):
    keyfile = tmp_path / "key"
    keyfile.write_text("patrol secret\n")
    key = read_signing_key(keyfile)
    assert len(key) == 32
    signed, unsigned = vehicle_mav(key=key), vehicle_mav(sysid=2)
    with open_link("udpin:127.0.0.1:0", signing_key=key) as link:
        port = link._transport.sock.getsockname()[1]
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.sendto(bytes(signed.heartbeat_encode(2, 3, 0, 0, 4).pack(signed)), ("127.0.0.1", port))
        signed.seq += 1
        for i in range(5):
            tx.sendto(position(signed, i), ("127.0.0.1", port))
            tx.sendto(position(unsigned, i), ("127.0.0.1", port))
        got = drain(link, timeout=0.5)
        assert {m.get_srcSystem() for m in got} == {1} and len(got) == 6
        assert link.stats()["unsigned_refused"] == 5
        link.mav.heartbeat_send(6, 8, 0, 0, 0)
        checker = vehicle_mav(key=key)
        checker.signing.allow_unsigned_callback = lambda mav, msg_id: False
        tx.settimeout(2)
        assert checker.decode(bytearray(tx.recv(300)))._signed
        tx.close()


def test_serial_link_over_a_pty_both_directions():
    master, slave = os.openpty()
    mav = vehicle_mav()
    with open_link(f"{os.ttyname(slave)},57600") as link:
        os.write(master, b"".join(position(mav, i) for i in range(5)))
        got = [link.recv(2.0) for _ in range(5)]
        assert [m.lat - 360650000 for m in got] == list(range(5))
        link.mav.heartbeat_send(6, 8, 0, 0, 0)
        reply = new_mav().decode(bytearray(os.read(master, 300)))
        assert reply.get_type() == "HEARTBEAT"
    os.close(master)
    os.close(slave)


def test_recording_rotates_and_replays_to_the_same_messages(tmp_path):
    with open_link(str(TLOG), pace="fast", record_dir=tmp_path, record_max_bytes=100_000) as link:
        original = [m.get_msgbuf() for m in drain(link)]
    files = sorted(tmp_path.glob("*.tlog"))
    assert len(files) >= 5 and all(f.stat().st_size <= 100_000 for f in files)
    replayed = []
    for f in files:
        with open_link(str(f), pace="fast") as link:
            replayed += [m.get_msgbuf() for m in drain(link)]
    assert replayed == original


def test_damaged_tlog_is_resynchronised_and_counted(tmp_path):
    data = bytearray(TLOG.read_bytes())
    junk = bytes(random.Random(3).randrange(256) for _ in range(500))
    damaged = tmp_path / "damaged.tlog"
    damaged.write_bytes(bytes(data[:100_000]) + junk + bytes(data[100_000:]))
    with open_link(str(damaged), pace="fast") as link:
        got = drain(link)
        stats = link.stats()
    assert len(got) >= 14530 and stats["bad_bytes"] >= 500


@pytest.mark.parametrize(
    "url, words",
    [
        ("tcp:127.0.0.1:1", "connection refused; is the vehicle/SITL running?"),
        ("carrier-pigeon:1", "unknown MAVLink address"),
        ("tcp:nohost", "bad MAVLink address"),
        ("missing.tlog", "no such tlog file"),
    ],
)
def test_unusable_addresses_fail_with_one_line(url, words):
    with pytest.raises(VehicleError) as err:
        open_link(url)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_encoder_is_the_explicit_v2_dialect():
    with open_link(str(TLOG), pace="fast") as link:
        assert isinstance(link.mav, apm.MAVLink)
        assert link.mav.srcSystem == 255 and link.mav.srcComponent == 190
