"""Heartbeats as a ground station while a sortie is flown, so the vehicle knows it is watched.

ArduPilot's ground-link failsafe (FS_GCS_ENABLE, which every sortie sets) arms only once the
vehicle has heard a ground station's HEARTBEAT; a link that only sends commands leaves the
failsafe asleep, and a crashed or unplugged ``fly`` would leave the drone flying on, unwatched.
Sending MAV_TYPE_GCS heartbeats at 1 Hz from arming to landing makes the failsafe real: when
this process dies or the link drops for FS_GCS_TIMEOUT, the vehicle returns to launch.

The timeout runs on the vehicle's clock, which in a simulator at speed-up K runs K times faster
than ours: a heartbeat a wall second apart would look five seconds apart at speed-up 5 and trip
the failsafe. ``clock_rate`` measures the vehicle's clock against ours from the timestamps it
sends, and the heartbeat period is divided by it (a real vehicle measures 1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.transfer.protocol import MessageLink

__all__ = ["GcsHeartbeat", "PERIOD_S", "clock_rate", "ground_station"]

PERIOD_S = 1.0  # MAVLink's heartbeat rate; FS_GCS_TIMEOUT is at least 2 s (safety_model)
MAX_RATE = 100.0  # beyond any speed-up SITL runs at; caps the heartbeat at 100 Hz


def clock_rate(
    recv_until: Callable[[float], object | None],
    *,
    wall_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """How many seconds pass on the vehicle per second here, from its ``time_boot_ms`` stamps.

    ``recv_until(deadline)`` is the caller's reader (``Exchange.recv_until``); messages read
    here are spent. Fewer than two stamps, or a clock that stands still or runs backwards (a
    reboot), give 1.0: the real-time assumption is the safe one for a real vehicle.
    """
    first: tuple[float, int] | None = None
    last: tuple[float, int] | None = None
    deadline = clock() + wall_s
    while (msg := recv_until(deadline)) is not None:
        stamp = getattr(msg, "time_boot_ms", None)
        if not isinstance(stamp, int):
            continue
        now = clock()
        if first is None:
            first = (now, stamp)
        last = (now, stamp)
    if first is None or last is None or last[0] - first[0] < wall_s / 4:
        return 1.0
    rate = (last[1] - first[1]) / 1000.0 / (last[0] - first[0])
    return min(max(rate, 1.0), MAX_RATE) if rate > 0 else 1.0


class GcsHeartbeat:
    """A thread that sends a GCS HEARTBEAT every ``period_s`` while the context is open.

    Measure ``clock_rate`` before opening it: a period changed while the thread waits would
    take effect only after the old, possibly too long, wait.
    """

    def __init__(self, link: MessageLink, period_s: float = PERIOD_S):
        self.link = link
        self.period_s = period_s
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gcs-heartbeat", daemon=True)

    def _beat(self) -> None:
        msg = self.link.mav.heartbeat_encode(
            apm.MAV_TYPE_GCS, apm.MAV_AUTOPILOT_INVALID, 0, 0, apm.MAV_STATE_ACTIVE
        )
        try:
            self.link.send(msg)
            self.sent += 1
        except OSError:
            # A link that is down is the failsafe's business: counted, and tried again next beat.
            self.failed += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._beat()
            self._stop.wait(self.period_s)

    def __enter__(self) -> GcsHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * self.period_s)


def ground_station(
    link: MessageLink,
    recv_until: Callable[[float], object | None],
    clock: Callable[[], float] = time.monotonic,
) -> tuple[GcsHeartbeat, list[object]]:
    """Heartbeats paced by the vehicle's clock (not yet started), and the messages read to
    measure it, in order: a caller following a flight hands them on, so no MISSION_ITEM_REACHED
    or mode change read during the measurement is lost."""
    seen: list[object] = []

    def recording(deadline: float) -> object | None:
        msg = recv_until(deadline)
        if msg is not None:
            seen.append(msg)
        return msg

    return GcsHeartbeat(link, PERIOD_S / clock_rate(recording, clock=clock)), seen
