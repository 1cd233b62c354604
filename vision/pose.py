"""Where the vehicle was, and how it was tilted, at the moment a frame was taken.

A ``PoseTrack`` holds time-ordered position and attitude samples and interpolates between them,
so each frame gets the pose of its own timestamp rather than the latest message. Tracks come from a
``.tlog`` (GLOBAL_POSITION_INT + ATTITUDE) or fill up live from the MQTT position/attitude records
of the telemetry bridge (``LivePoseFeed``).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import ValidationError

from mission.text import N_
from telemetry.records import Attitude as AttitudeRecord
from telemetry.records import Position as PositionRecord
from telemetry.records import parse_record
from vision.camera import Attitude
from vision.errors import VisionError

if TYPE_CHECKING:
    from telemetry.mqtt import MqttSettings

__all__ = ["Pose", "PoseTrack", "PoseError", "read_tlog_track", "LivePoseFeed"]


class PoseError(VisionError):
    """Telemetry for geotagging is missing or unreadable."""


@dataclass(frozen=True)
class Pose:
    """The vehicle at one instant: WGS84 position, altitudes and attitude (degrees)."""

    time: float
    lat: float
    lon: float
    alt_msl_m: float
    alt_rel_m: float
    attitude: Attitude


class PoseTrack:
    """Position and attitude series, interpolated linearly (yaw along the short way round).

    Position and attitude arrive as separate messages at their own rates, so they are kept as two
    series and each interpolated at the frame time. A time outside the track (beyond ``max_gap_s``)
    has no pose: a geotag from a stale pose would send a ground team to the wrong street.
    """

    def __init__(self, max_gap_s: float = 2.0):
        self.max_gap_s = max_gap_s
        self._pos: list[tuple[float, float, float, float, float]] = []
        self._att: list[tuple[float, float, float, float]] = []
        self._lock = threading.Lock()

    def add_position(
        self, t: float, lat: float, lon: float, alt_msl: float, alt_rel: float
    ) -> None:
        with self._lock:
            _insert(self._pos, (t, lat, lon, alt_msl, alt_rel))

    def add_attitude(self, t: float, roll: float, pitch: float, yaw: float) -> None:
        with self._lock:
            _insert(self._att, (t, roll, pitch, yaw))

    def __len__(self) -> int:
        return min(len(self._pos), len(self._att))

    def positions(self) -> list[tuple[float, float, float, float, float]]:
        """(time, lat, lon, alt_msl_m, alt_rel_m) samples, in time order."""
        with self._lock:
            return list(self._pos)

    @property
    def start(self) -> float | None:
        return self._pos[0][0] if self._pos else None

    @property
    def end(self) -> float | None:
        return self._pos[-1][0] if self._pos else None

    def at(self, t: float) -> Pose | None:
        with self._lock:
            pos = _interp(self._pos, t, self.max_gap_s, angles=())
            att = _interp(self._att, t, self.max_gap_s, angles=(2,))
        if pos is None or att is None:
            return None
        lat, lon, alt_msl, alt_rel = pos
        roll, pitch, yaw = att
        return Pose(t, lat, lon, alt_msl, alt_rel, Attitude(roll, pitch, yaw % 360.0))


def _insert(series: list, sample: tuple) -> None:
    if not series or sample[0] >= series[-1][0]:
        series.append(sample)
    else:
        series.insert(bisect_left(series, sample[0], key=lambda s: s[0]), sample)


def _interp(series: list, t: float, max_gap: float, angles: tuple[int, ...]) -> tuple | None:
    if not series:
        return None
    i = bisect_left(series, t, key=lambda s: s[0])
    if i == 0:
        return series[0][1:] if series[0][0] - t <= max_gap else None
    if i == len(series):
        return series[-1][1:] if t - series[-1][0] <= max_gap else None
    a, b = series[i - 1], series[i]
    if b[0] - a[0] > 2 * max_gap:
        return None
    w = (t - a[0]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
    out = []
    for k, (va, vb) in enumerate(zip(a[1:], b[1:], strict=True)):
        if k in angles:
            vb = va + ((vb - va + 180.0) % 360.0 - 180.0)
        out.append(va + w * (vb - va))
    return tuple(out)


def read_tlog_track(path: Path, max_gap_s: float = 2.0) -> PoseTrack:
    """Pose track from a ``.tlog``; times are the log's wall-clock record stamps (epoch seconds)."""
    from pymavlink.dialects.v20 import ardupilotmega as apm

    from vehicle.tlog import TlogReader

    path = Path(path)
    try:
        records = TlogReader(path)
    except OSError as exc:
        raise PoseError(
            N_(
                "cannot read telemetry log {path}: {strerror}; check the path",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    mav = apm.MAVLink(None)
    mav.robust_parsing = True
    track = PoseTrack(max_gap_s)
    for t, packet in records:
        try:
            msgs = mav.parse_buffer(packet) or []
        except apm.MAVError:
            continue
        for m in msgs:
            kind = m.get_type()
            if kind == "GLOBAL_POSITION_INT":
                track.add_position(
                    t, m.lat / 1e7, m.lon / 1e7, m.alt / 1000.0, m.relative_alt / 1000.0
                )
            elif kind == "ATTITUDE":
                track.add_attitude(t, *(float(np.degrees(a)) for a in (m.roll, m.pitch, m.yaw)))
    if len(track) == 0:
        raise PoseError(
            N_(
                "{path} has no GLOBAL_POSITION_INT and ATTITUDE messages; record a log with both "
                "streams",
                path=path,
            )
        )
    return track


class LivePoseFeed:
    """Fills a ``PoseTrack`` from the bridge's MQTT position and attitude records of one vehicle.

    Times are the records' ``wall_time``, matching the wall-clock stamps of live frame sources.
    """

    def __init__(self, broker: str | MqttSettings, vehicle: str, track: PoseTrack | None = None):
        self.url = broker
        self.vehicle = vehicle
        self.track = track if track is not None else PoseTrack()
        self.rejected = 0
        self._client = None

    def handle(self, topic: str, payload: bytes) -> None:
        """One MQTT message, read through the bridge's record models. A payload that does not
        validate, or whose kind is not its topic's, is counted in ``rejected``; other vehicles'
        records (when ``vehicle`` is set) and other kinds are not poses and are passed over."""
        try:
            rec = parse_record(payload)
        except ValidationError:
            self.rejected += 1
            return
        if not topic.endswith(f"/{rec.kind}"):
            self.rejected += 1
        elif self.vehicle and rec.vehicle != self.vehicle:
            return
        elif isinstance(rec, PositionRecord):
            self.track.add_position(rec.wall_time, rec.lat, rec.lon, rec.alt_msl_m, rec.alt_rel_m)
        elif isinstance(rec, AttitudeRecord):
            self.track.add_attitude(rec.wall_time, rec.roll_deg, rec.pitch_deg, rec.yaw_deg)

    def start(self, timeout_s: float = 10.0) -> LivePoseFeed:
        """Connect and subscribe; return once the broker has granted the subscriptions. A broker
        that refuses us (credentials, ACL) is a one-line error: before, frames went on without a
        pose and the reason was never said."""
        from telemetry.mqtt import MqttSettings, subscriber, vehicle_topic

        settings = MqttSettings.resolve(self.url)
        topics = [(vehicle_topic(self.vehicle, leaf), 0) for leaf in ("position", "attitude")]
        client, subscription = subscriber(
            settings, f"{settings.client_id}-vision-pose", topics, self.handle
        )
        try:
            client.connect(settings.host, settings.port, settings.keepalive)
        except OSError as exc:
            raise PoseError(
                N_(
                    "cannot reach MQTT broker {url}: {exc}; is it running?",
                    url=settings.url,
                    exc=exc,
                )
            ) from exc
        client.loop_start()
        self._client = client
        answer = subscription.connack(timeout_s)
        if answer is None or answer.is_failure:
            self.close()
            raise PoseError(
                N_(
                    "MQTT broker {url} did not accept the connection: {reason}; check the URL "
                    "and the credentials",
                    url=settings.url,
                    reason=answer
                    if answer is not None
                    else N_("no answer within {timeout_s:g} s", timeout_s=timeout_s),
                )
            )
        problem = subscription.wait(timeout_s)
        if problem:
            self.close()
            raise PoseError(
                N_(
                    "MQTT broker {url} did not take the pose subscriptions: {problem}; check the "
                    "broker and its ACL",
                    url=settings.url,
                    problem=problem,
                )
            )
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None
