"""Ground-station heartbeats during a sortie: real MAVLink bytes on loopback UDP, and the vehicle
clock rate they are paced by (measured from the vehicle's own timestamps)."""

from __future__ import annotations

import socket
import time

import pytest
from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.commands import Vehicle
from vehicle.decode import new_mav
from vehicle.gcs_heartbeat import GcsHeartbeat, clock_rate, ground_station
from vehicle.link import open_link
from vehicle.transfer import TransferTimeout


def _heartbeats(sock: socket.socket, seconds: float) -> list[tuple[float, object]]:
    mav = new_mav(1, 1)
    got = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65535)
        except TimeoutError:
            break
        for msg in mav.parse_buffer(data) or []:
            if msg.get_type() == "HEARTBEAT":
                got.append((time.monotonic(), msg))
    return got


def test_a_flown_sortie_sends_gcs_heartbeats_until_it_ends():
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    link = open_link(f"udpout:127.0.0.1:{peer.getsockname()[1]}")
    try:
        with GcsHeartbeat(link, period_s=0.1) as beat:
            seen = _heartbeats(peer, 0.65)
        after = _heartbeats(peer, 0.3)
    finally:
        link.close()
        peer.close()
    assert 4 <= len(seen) <= 9, len(seen)
    msg = seen[0][1]
    assert (msg.type, msg.autopilot) == (apm.MAV_TYPE_GCS, apm.MAV_AUTOPILOT_INVALID)
    assert msg.get_srcSystem() == 255  # the ground station's system id, not a vehicle's
    assert after == [] and beat.sent == len(seen) and beat.failed == 0


class _Stamps:
    """Messages stamped by a vehicle clock ``rate`` times faster than the fake wall clock."""

    def __init__(self, rate: float, boot_ms: int = 90_000, step_s: float = 0.2):
        self.now = 0.0
        self.rate = rate
        self.boot_ms = boot_ms
        self.step_s = step_s
        self.mav = new_mav(1, 1)

    def clock(self) -> float:
        return self.now

    def recv_until(self, deadline: float):
        if self.now + self.step_s > deadline:
            self.now = deadline
            return None
        self.now += self.step_s
        stamp = self.boot_ms + int(self.now * 1000 * self.rate)
        return self.mav.global_position_int_encode(stamp, 0, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("rate", [1.0, 5.0, 10.0])
def test_clock_rate_is_the_vehicle_clock_against_ours(rate):
    stamps = _Stamps(rate)
    assert clock_rate(stamps.recv_until, wall_s=2.0, clock=stamps.clock) == pytest.approx(
        rate, rel=0.01
    )


def test_a_clock_that_runs_backwards_or_gives_nothing_counts_as_real_time():
    backwards = _Stamps(-3.0, boot_ms=10_000_000)
    assert clock_rate(backwards.recv_until, wall_s=2.0, clock=backwards.clock) == 1.0
    silent = _Stamps(5.0, step_s=5.0)
    assert clock_rate(silent.recv_until, wall_s=2.0, clock=silent.clock) == 1.0
    absurd = _Stamps(1e6)
    assert clock_rate(absurd.recv_until, wall_s=2.0, clock=absurd.clock) == 100.0


def test_messages_read_to_measure_the_clock_are_handed_on_in_order():
    """A follower must not lose a MISSION_ITEM_REACHED read while the clock was measured."""
    stamps = _Stamps(10.0)
    beat, seen = ground_station(None, stamps.recv_until, stamps.clock)  # type: ignore[arg-type]
    assert [m.time_boot_ms for m in seen] == sorted(m.time_boot_ms for m in seen)
    assert len(seen) >= 4 and beat.period_s == pytest.approx(0.1, rel=0.01)


def watched(replay: list) -> list:
    """What ``watch`` makes of ``replay`` on a link that then says nothing more."""

    class Silent:
        def recv_until(self, deadline):  # type: ignore[no-untyped-def]
            return None

    vehicle = Vehicle.__new__(Vehicle)
    vehicle.ex, vehicle.clock = Silent(), time.monotonic
    events = []
    with pytest.raises(TransferTimeout):  # the live link says nothing more
        events.extend(vehicle.watch(0.01, replay=replay))
    return events


def test_watch_judges_the_replayed_messages_before_the_live_ones():
    mav = new_mav(1, 1)
    replay = [mav.mission_item_reached_encode(2), mav.mission_current_encode(3)]
    events = watched(replay)
    assert [(e.kind, e.seq) for e in events] == [("reached", 2), ("current", 3)]


def test_watch_reports_a_fence_breach_when_it_starts_and_ends_only():
    mav = new_mav(1, 1)
    status = [(0, 0), (1, 3), (1, 3), (1, 3), (0, 3), (0, 0)]  # breach_status, breach_type
    events = watched([mav.fence_status_encode(s, 1, t, 0) for s, t in status])
    assert [(e.kind, e.text, e.seq) for e in events] == [
        ("fence", "breached", 3),
        ("fence", "cleared", 3),
    ]


class Feed:
    """A link that says ``messages`` in order, then nothing."""

    def __init__(self, messages: list) -> None:
        self.messages = list(messages)
        self.texts: list[str] = []

    def recv_until(self, deadline):  # type: ignore[no-untyped-def]
        if not self.messages:
            return None
        msg = self.messages.pop(0)
        if msg.get_type() == "STATUSTEXT":
            self.texts.append(msg.text)
        return msg


def armable_after(messages: list) -> int | str:
    """How many messages ``wait_armable`` read before it was satisfied, or its error."""
    vehicle = Vehicle.__new__(Vehicle)
    feed = Feed(messages)
    vehicle.ex, vehicle.clock = feed, time.monotonic
    try:
        vehicle.wait_armable(0.05)
    except TransferTimeout as exc:
        return str(exc)
    return len(messages) - len(feed.messages)


def test_armable_waits_for_the_pre_arm_checks_the_vehicle_reports():
    """A copter that had not heard a ground station holds its GCS failsafe until the next
    heartbeat is taken in; arming before then was refused ("PreArm: GCS failsafe on")."""
    mav = new_mav(1, 1)
    prearm = 1 << 28

    def status(healthy: bool):  # type: ignore[no-untyped-def]
        return mav.sys_status_encode(prearm, prearm, prearm if healthy else 0,
                                     0, 12600, 0, 100, 0, 0, 0, 0, 0, 0)  # fmt: skip

    located = [mav.heartbeat_encode(2, 3, 0, 0, 3),
               mav.gps_raw_int_encode(0, 3, 0, 0, 0, 0, 0, 0, 0, 10),
               mav.ekf_status_report_encode(0x10, 0, 0, 0, 0, 0)]  # fmt: skip
    assert armable_after([*located, status(True)]) == 4
    waiting = [*located, status(False), mav.statustext_encode(3, b"PreArm: GCS failsafe on")]
    assert armable_after([*waiting, status(True)]) == 6
    assert "pre-arm checks failing (-)" in armable_after(located)  # they may still come
    told = armable_after(waiting)
    assert "pre-arm checks failing (PreArm: GCS failsafe on)" in told, told


def test_a_vehicle_that_never_reports_pre_arm_checks_is_armable_once_located_for_a_while():
    mav = new_mav(1, 1)
    ticks = iter(range(1000))
    vehicle = Vehicle.__new__(Vehicle)
    gps = mav.gps_raw_int_encode(0, 3, 0, 0, 0, 0, 0, 0, 0, 10)
    feed = Feed([mav.heartbeat_encode(2, 3, 0, 0, 3), mav.ekf_status_report_encode(0x10, 0, 0, 0,
                 0, 0), *[gps] * 10])  # fmt: skip
    vehicle.ex, vehicle.clock = feed, lambda: float(next(ticks))  # one second a message
    vehicle.wait_armable(100)
    assert 0 < len(feed.messages) < 10  # waited about PREARM_GRACE_S after the fix, not for ever
