"""What rendered patrol footage shows: the spec, the camera's flight and the targets on the ground.

A flight is either straight legs between waypoints (from a mission, or one straight pass) or a
recorded pose track; targets are people-sized figures, parked and moving vehicles and flowering
patches, placed with a seed on the district's procedural ground (``sim.ground``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mission.model import District, Mission
from mission.text import N_
from mission.trajectory import constant_speed
from sim.errors import SimError
from sim.ground import ROAD_M, BlockKind, GroundTexture
from vision.camera import Attitude, Camera, ground_points
from vision.pose import Pose, PoseTrack

__all__ = [
    "FootageSpec",
    "Target",
    "WaypointFlight",
    "TrackFlight",
    "flight_from_mission",
    "straight_flight",
    "place_targets",
    "PRIVACY_PAINT",
    "PERSON_HEIGHT_M",
    "MAX_RANGE_H",
]

PRIVACY_PAINT = (255, 0, 255)
PERSON_HEIGHT_M = 1.75
MAX_RANGE_H = 10.0  # ground is drawn out to 10 x the height; oblique views beyond it are smeared


class FootageSpec(BaseModel):
    """What to render; every random choice derives from ``seed``. Bounded: an infinite frame
    rate or a hundred million walkers rendered until the machine gave out."""

    model_config = ConfigDict(allow_inf_nan=False)

    width: int = Field(640, ge=64, le=7680)
    height: int = Field(360, ge=48, le=4320)
    fps: float = Field(10.0, gt=0, le=120)
    seconds: float = Field(20.0, gt=0, le=3600)
    hfov_deg: float = Field(70.0, gt=1, lt=170)
    mount_pitch_deg: float = Field(-90.0, ge=-90, le=0)
    seed: int = 0
    start_time: float = 1_780_000_000.0
    people: int = Field(6, ge=0, le=1000)
    vehicles: int = Field(4, ge=0, le=1000)
    blooms: int = Field(3, ge=0, le=1000)
    noise_sigma: float = Field(3.0, ge=0)
    optics_sigma: float = Field(0.7, ge=0, description="lens blur, px (always present)")
    blur_max_sigma: float = Field(0.8, ge=0, description="extra random blur per frame, px")
    exposure_amp: float = Field(0.1, ge=0, lt=1)
    jpeg_quality: tuple[int, int] = (70, 92)
    mark_privacy: bool = False

    def camera(self) -> Camera:
        return Camera.from_hfov(self.width, self.height, self.hfov_deg, self.mount_pitch_deg)


@dataclass(frozen=True)
class Target:
    """Something on the ground at a known place; it moves at (vx, vy) m/s from (x, y) at t = 0."""

    id: str
    kind: str
    x: float
    y: float
    vx: float = 0.0
    vy: float = 0.0
    colour: tuple[int, int, int] = (40, 40, 40)
    radius_m: float = 0.0
    dots: tuple[tuple[float, float, float, tuple[int, int, int]], ...] = field(
        default=(), repr=False
    )
    heading_rad: float | None = None

    @property
    def moving(self) -> bool:
        return math.hypot(self.vx, self.vy) > 0.2

    def position(self, t: float) -> tuple[float, float]:
        return self.x + self.vx * t, self.y + self.vy * t

    @property
    def heading(self) -> float:
        if self.heading_rad is not None:
            return self.heading_rad
        return math.atan2(self.vy, self.vx) if self.moving else 0.0


class WaypointFlight:
    """Straight legs between (x, y, height above ground) points at a constant speed, nose along track.

    A slow seeded sway in roll and pitch stands in for wind, so ego-motion is never perfectly smooth.
    """

    def __init__(
        self,
        points: Sequence[tuple[float, float, float]],
        speed_mps: float = 8.0,
        sway_deg: float = 1.5,
        seed: int = 0,
    ):
        if len(points) < 2:
            raise SimError(
                N_("a flight needs at least two waypoints; give a mission with two or more")
            )
        self.path = constant_speed(points, speed_mps)
        rng = np.random.default_rng([seed, 11])
        self.sway = sway_deg
        self.phase = rng.uniform(0, 2 * math.pi, 4)

    @property
    def duration(self) -> float:
        return self.path.end_s

    def state(self, t: float) -> tuple[float, float, float, Attitude]:
        path = self.path
        x, y, h = path.at(t)[0]
        i = int(min(np.searchsorted(path.t, t, side="right") - 1, len(path.t) - 2))
        a, b = path.xyz[max(i, 0)], path.xyz[max(i, 0) + 1]
        yaw = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0
        p = self.phase
        roll = self.sway * (0.6 * math.sin(0.7 * t + p[0]) + 0.4 * math.sin(1.9 * t + p[1]))
        pitch = -2.0 + self.sway * (0.6 * math.sin(0.5 * t + p[2]) + 0.4 * math.sin(1.3 * t + p[3]))
        return float(x), float(y), float(h), Attitude(roll, pitch, yaw)


class TrackFlight:
    """The camera follows a recorded pose track (for example a SITL ``.tlog``).

    Only the airborne part is filmed: from the first to the last sample at least
    ``min_height_m`` above the district's ground.
    """

    def __init__(self, track: PoseTrack, district: District, min_height_m: float = 10.0):
        self.track = track
        self.district = district
        airborne = [t for t, *_ in track.positions() if self._height(track.at(t)) >= min_height_m]
        if not airborne:
            raise SimError(
                N_(
                    "the telemetry log never flies {min_height_m:.0f} m above the district's ground; "
                    "give a log of a flight over the district",
                    min_height_m=min_height_m,
                )
            )
        self.t0, self.t1 = airborne[0], airborne[-1]

    def _height(self, pose: Pose | None) -> float:
        if pose is None:
            return 0.0
        elev = self.district.ground_elevation_m
        return pose.alt_msl_m - elev if elev is not None else pose.alt_rel_m

    @property
    def duration(self) -> float:
        return float(self.t1 - self.t0)

    def state(self, t: float) -> tuple[float, float, float, Attitude]:
        pose = self.track.at(self.t0 + t)
        if pose is None:
            raise SimError(
                N_("the telemetry log has no pose at {t_s:.1f} s; shorten --seconds", t_s=t)
            )
        x, y = self.district.frame.to_metric(pose.lon, pose.lat)
        return float(x), float(y), self._height(pose), pose.attitude


def straight_flight(
    district: District,
    *,
    start: tuple[float, float] | None = None,
    heading_deg: float = 80.0,
    length_m: float = 300.0,
    alt_m: float = 60.0,
    speed_mps: float = 8.0,
    sway_deg: float = 1.5,
    seed: int = 0,
) -> WaypointFlight:
    """One straight leg from ``start`` (default: the first launch site) at a fixed height."""
    if not 0 < alt_m <= 1000:  # NaN fails too
        raise SimError(N_("--alt {alt_m} is not a height in (0, 1000] m", alt_m=alt_m))
    if start is None:
        p = (
            district.launch_sites[0].position
            if district.launch_sites
            else district.boundary.centroid
        )
        start = (p.x, p.y)
    a = math.radians(heading_deg)
    end = (start[0] + length_m * math.sin(a), start[1] + length_m * math.cos(a))
    return WaypointFlight([(*start, alt_m), (*end, alt_m)], speed_mps, sway_deg, seed)


def flight_from_mission(
    mission: Mission, district: District, speed_mps: float | None = None, seed: int = 0
) -> WaypointFlight:
    """The mission's positioned items as a flight (take-off and landing legs are not filmed)."""
    pts = []
    for it in mission.items:
        if it.lat == 0.0 and it.lon == 0.0:
            continue
        x, y = district.frame.to_metric(it.lon, it.lat)
        if it.alt > 5.0:
            pts.append((float(x), float(y), float(it.alt)))
    return WaypointFlight(pts, speed_mps or mission.cruise_mps, seed=seed)


def place_targets(flight, spec: FootageSpec, ground: GroundTexture) -> list[Target]:
    """Targets scattered along the filmed part of the flight so that most are seen."""
    rng = np.random.default_rng([spec.seed, 3])
    cam = spec.camera()
    duration = min(spec.seconds, flight.duration)
    out: list[Target] = []

    def near_path(spread: float) -> tuple[float, float]:
        """A point in the picture at a random moment: around the ground seen at the centre."""
        t = rng.uniform(0.15, 0.85) * duration
        x, y, h, att = flight.state(t)
        gx, gy = ground_points(
            cam, att, (x, y, h), [cam.cx, 0, cam.width], [cam.cy] * 3, MAX_RANGE_H
        )
        half = math.hypot(gx[2] - gx[1], gy[2] - gy[1]) / 2 * spread
        return gx[0] + rng.uniform(-half, half), gy[0] + rng.uniform(-half, half)

    palette = [
        (60, 40, 30),
        (30, 30, 30),
        (200, 200, 205),
        (40, 60, 150),
        (150, 90, 40),
        (60, 170, 200),
    ]
    for i in range(spec.people):
        x, y = near_path(0.4)
        speed, ang = rng.uniform(1.0, 1.6), rng.uniform(0, 2 * math.pi)
        out.append(
            Target(
                f"person-{i}",
                "person",
                x,
                y,
                speed * math.cos(ang),
                speed * math.sin(ang),
                palette[int(rng.integers(len(palette)))],
                0.3,
            )
        )
    cars = [(235, 235, 235), (190, 190, 195), (25, 25, 25), (150, 60, 30), (40, 40, 170)]
    for i in range(spec.vehicles):
        x, y = near_path(0.4)
        moving = i % 2 == 0
        speed = rng.uniform(4.0, 7.0) if moving else 0.0
        lane = rng.choice([-1.0, 1.0])
        # Moving: in a lane. Parked: in the parking strip beside the road, out of the traffic.
        offset = lane * (1.7 if moving else ROAD_M / 2 + 1.2)
        bx, by = ground.block_index(x, y)
        if rng.uniform() < 0.5:
            y = by * ground.block_m + ROAD_M / 2 + offset
            ang = 0.0 if lane < 0 else math.pi
        else:
            x = bx * ground.block_m + ROAD_M / 2 + offset
            ang = math.pi / 2 if lane > 0 else -math.pi / 2
        vx, vy = speed * math.cos(ang), speed * math.sin(ang)
        colour = cars[int(rng.integers(len(cars)))]
        out.append(Target(f"vehicle-{i}", "vehicle", x, y, vx, vy, colour, 2.3, heading_rad=ang))
    blooms = [(40, 35, 215), (175, 110, 235), (240, 240, 245), (150, 55, 140)]
    placed = 0
    for _ in range(200 * max(spec.blooms, 1)):
        if placed >= spec.blooms:
            break
        x, y = near_path(0.45)
        bx, by = ground.block_index(x, y)
        if ground.kind(bx, by) != BlockKind.GREEN:
            continue
        plot = ground.plot_area(bx, by).buffer(-3.0)
        if plot.is_empty:
            continue
        x0, y0, x1, y1 = plot.bounds
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        r = rng.uniform(1.0, 1.8)
        main = int(rng.integers(len(blooms)))
        dots = []
        for _d in range(int(60 * r * r)):
            a, rr = rng.uniform(0, 2 * math.pi), r * math.sqrt(rng.uniform())
            col = blooms[main] if rng.uniform() < 0.8 else blooms[int(rng.integers(len(blooms)))]
            dots.append((rr * math.cos(a), rr * math.sin(a), rng.uniform(0.1, 0.2), col))
        out.append(Target(f"bloom-{placed}", "bloom", x, y, radius_m=r, dots=tuple(dots)))
        placed += 1
    return out
