"""Synthetic patrol footage with ground truth: the district's ground seen from a flying camera.

Real patrol footage cannot be shipped, so the vision pipeline is measured on frames rendered here.
Each frame is the procedural ground (``sim.ground``) projected through the same camera model the
geotagger uses, with targets drawn at known positions: moving people-sized figures, parked and
moving vehicles, and flowering patches in green plots. Exposure drift, blur, sensor noise and JPEG
compression are added on top. ``write_footage`` stores an MP4, a ``.tlog`` of the camera's flight
(8-byte big-endian µs stamp + MAVLink 2 packet) and a ground-truth JSON with every target per frame.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, Field

from mission.model import District, Mission
from sim.errors import SimError
from sim.ground import ROAD_M, BlockKind, GroundTexture
from vision.camera import Attitude, Camera, ground_points, ground_to_image, project_points
from vision.pose import Pose, PoseTrack

__all__ = [
    "FootageSpec",
    "Target",
    "WaypointFlight",
    "TrackFlight",
    "Renderer",
    "RenderedFrame",
    "FootageFiles",
    "flight_from_mission",
    "straight_flight",
    "place_targets",
    "write_footage",
]

PRIVACY_PAINT = (255, 0, 255)
PERSON_HEIGHT_M = 1.75
MAX_RANGE_H = 10.0  # ground is drawn out to 10 x the height; oblique views beyond it are smeared


class FootageSpec(BaseModel):
    """What to render; every random choice derives from ``seed``."""

    width: int = Field(640, ge=64)
    height: int = Field(360, ge=48)
    fps: float = Field(10.0, gt=0)
    seconds: float = Field(20.0, gt=0)
    hfov_deg: float = Field(70.0, gt=1, lt=170)
    mount_pitch_deg: float = Field(-90.0, ge=-90, le=0)
    seed: int = 0
    start_time: float = 1_780_000_000.0
    people: int = Field(6, ge=0)
    vehicles: int = Field(4, ge=0)
    blooms: int = Field(3, ge=0)
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
            raise SimError("a flight needs at least two waypoints; give a mission with two or more")
        self.points = np.asarray(points, float)
        self.speed = speed_mps
        legs = np.linalg.norm(np.diff(self.points[:, :2], axis=0), axis=1)
        self.cum = np.concatenate([[0.0], np.cumsum(legs)])
        rng = np.random.default_rng([seed, 11])
        self.sway = sway_deg
        self.phase = rng.uniform(0, 2 * math.pi, 4)

    @property
    def duration(self) -> float:
        return float(self.cum[-1] / self.speed)

    def state(self, t: float) -> tuple[float, float, float, Attitude]:
        d = min(max(t * self.speed, 0.0), self.cum[-1])
        i = int(min(np.searchsorted(self.cum, d, side="right") - 1, len(self.points) - 2))
        seg = self.cum[i + 1] - self.cum[i]
        w = (d - self.cum[i]) / seg if seg > 0 else 0.0
        a, b = self.points[i], self.points[i + 1]
        x, y, h = a + w * (b - a)
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
                f"the telemetry log never flies {min_height_m:.0f} m above the district's ground; "
                "give a log of a flight over the district"
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
            raise SimError(f"the telemetry log has no pose at {t:.1f} s; shorten --seconds")
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


@dataclass(frozen=True)
class RenderedFrame:
    index: int
    time: float
    image: np.ndarray
    pose: Pose
    truth: list[dict]


class Renderer:
    """Draws frames of one flight over one district with its targets."""

    def __init__(
        self,
        district: District,
        flight,
        spec: FootageSpec,
        targets: Sequence[Target] | None = None,
        ground: GroundTexture | None = None,
    ):
        self.district = district
        self.flight = flight
        self.spec = spec
        self.camera = spec.camera()
        self.elev = district.ground_elevation_m or 0.0
        if ground is None:
            h_min = min(
                flight.state(t)[2] for t in np.linspace(0, min(spec.seconds, flight.duration), 20)
            )
            paint = ()
            if spec.mark_privacy:
                paint = tuple((z.shape, PRIVACY_PAINT) for z in district.privacy_zones)
            ground = GroundTexture(spec.seed, max(0.03, 0.6 * h_min / self.camera.fx), paint=paint)
        self.ground = ground
        self.targets = list(targets) if targets is not None else place_targets(flight, spec, ground)

    @property
    def frame_count(self) -> int:
        return int(min(self.spec.seconds, self.flight.duration) * self.spec.fps)

    def frames(self) -> Iterator[RenderedFrame]:
        for i in range(self.frame_count):
            yield self.render(i)

    def pose_at(self, t: float) -> Pose:
        x, y, h, att = self.flight.state(t)
        lon, lat = self.district.frame.to_lonlat(x, y)
        return Pose(self.spec.start_time + t, float(lat), float(lon), self.elev + h, h, att)

    def render(self, i: int) -> RenderedFrame:
        spec, cam = self.spec, self.camera
        t = i / spec.fps
        x, y, h, att = self.flight.state(t)
        w, hh = cam.width, cam.height
        gx, gy = ground_points(
            cam, att, (x, y, h), np.array([0, w, w, 0]), np.array([0, 0, hh, hh]), MAX_RANGE_H
        )
        m = 3.0
        mosaic = self.ground.render(gx.min() - m, gy.min() - m, gx.max() + m, gy.max() + m)
        h_world = ground_to_image(cam, att, (0.0, 0.0, h))
        shift = np.array([[1.0, 0, -x], [0, 1.0, -y], [0, 0, 1.0]])
        h_tex = h_world @ shift @ mosaic.tex_to_world()
        img = cv2.warpPerspective(
            mosaic.image, h_tex, (w, hh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        truth = [self._draw_target(img, tg, t, att, (x, y, h)) for tg in self.targets]
        img = self._degrade(img, i, t)
        return RenderedFrame(i, spec.start_time + t, img, self.pose_at(t), truth)

    def _draw_target(self, img, tg: Target, t: float, att, cam_pos) -> dict:
        tx, ty = tg.position(t)
        cx, cy, h = cam_pos
        cam = self.camera
        rel = (tx - cx, ty - cy)

        def proj(pts_xy: np.ndarray, z: float = 0.0) -> np.ndarray | None:
            p3 = np.column_stack(
                [pts_xy[:, 0] + rel[0], pts_xy[:, 1] + rel[1], np.full(len(pts_xy), z)]
            )
            uv, front = project_points(cam, att, (0.0, 0.0, h), p3)
            return uv if front.all() else None

        gsd = h / cam.fx
        outline = None
        if tg.kind == "person":
            outline = self._draw_person(img, tg, proj)
        elif tg.kind == "vehicle":
            outline = self._draw_vehicle(img, tg, proj)
        else:
            outline = self._draw_bloom(img, tg, proj, gsd)
        lon, lat = self.district.frame.to_lonlat(tx, ty)
        rec = {
            "id": tg.id,
            "kind": tg.kind,
            "moving": tg.moving,
            "x": round(tx, 3),
            "y": round(ty, 3),
            "lat": round(float(lat), 8),
            "lon": round(float(lon), 8),
            "box": None,
            "visible": 0.0,
        }
        if outline is not None:
            x0, y0 = outline.min(axis=0)
            x1, y1 = outline.max(axis=0)
            area = max((x1 - x0) * (y1 - y0), 1e-6)
            cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, cam.width), min(y1, cam.height)
            inside = max(cx1 - cx0, 0) * max(cy1 - cy0, 0) / area
            if inside > 0:
                rec["box"] = [round(float(v), 1) for v in (cx0, cy0, cx1, cy1)]
                rec["visible"] = round(float(inside), 3)
        return rec

    def _draw_person(self, img, tg: Target, proj):
        foot = proj(np.zeros((1, 2)))
        head = proj(np.zeros((1, 2)), PERSON_HEIGHT_M)
        if foot is None or head is None:
            return None
        tall = float(np.hypot(*(head[0] - foot[0])))
        span = proj(np.array([[-0.25, 0.0], [0.25, 0.0], [0.0, -0.25], [0.0, 0.25]]))
        wide = (
            0.0
            if span is None
            else max(np.hypot(*(span[1] - span[0])), np.hypot(*(span[3] - span[2])))
        )
        if tall > 2.5 * wide and tall > 24:
            return _silhouette(img, foot[0], head[0], tg.colour)
        a = tg.heading
        ca, sa = math.cos(a), math.sin(a)
        ell = np.array(
            [
                [
                    0.18 * math.cos(k) * ca - 0.30 * math.sin(k) * sa,
                    0.18 * math.cos(k) * sa + 0.30 * math.sin(k) * ca,
                ]
                for k in np.linspace(0, 2 * math.pi, 12, endpoint=False)
            ]
        )
        shadow = proj(ell + np.array([0.35, -0.25]))
        body = proj(ell)
        head_pts = proj(0.45 * ell[:, ::-1] @ np.eye(2))
        if body is None or shadow is None or head_pts is None:
            return None
        _fill(img, shadow, (35, 38, 40))
        _fill(img, body, tg.colour)
        _fill(img, head_pts, (20, 25, 30))
        return np.vstack([body, shadow])

    def _draw_vehicle(self, img, tg: Target, proj):
        a = tg.heading
        ca, sa = math.cos(a), math.sin(a)

        def rect(lx: float, ly: float, ox: float = 0.0) -> np.ndarray:
            pts = np.array([[ox - lx, -ly], [ox + lx, -ly], [ox + lx, ly], [ox - lx, ly]])
            return pts @ np.array([[ca, sa], [-sa, ca]])

        shadow = proj(rect(2.3, 0.95) + np.array([0.5, -0.4]))
        body = proj(rect(2.3, 0.95))
        glass = proj(rect(0.35, 0.8, 0.9))
        roof = proj(rect(0.9, 0.75, -0.3))
        if body is None or shadow is None or glass is None or roof is None:
            return None
        _fill(img, shadow, (30, 32, 35))
        _fill(img, body, tg.colour)
        _fill(img, glass, (45, 40, 35))
        cv2.fillPoly(
            img, [np.round(roof).astype(np.int32)], tuple(int(c * 0.85) for c in tg.colour)
        )
        return body

    def _draw_bloom(self, img, tg: Target, proj, gsd: float):
        pts = np.array([[d[0], d[1]] for d in tg.dots])
        uv = proj(pts)
        if uv is None:
            return None
        for (u, v), d in zip(uv, tg.dots, strict=True):
            cv2.circle(
                img, (int(round(u)), int(round(v))), max(1, int(round(d[2] / gsd))), d[3], -1
            )
        ring = np.array(
            [
                [tg.radius_m * math.cos(k), tg.radius_m * math.sin(k)]
                for k in np.linspace(0, 2 * math.pi, 16, endpoint=False)
            ]
        )
        return proj(ring)

    def _degrade(self, img: np.ndarray, i: int, t: float) -> np.ndarray:
        spec = self.spec
        rng = np.random.default_rng([spec.seed, 7, i])
        gain = 1.0 + spec.exposure_amp * math.sin(2 * math.pi * t / 9.0 + spec.seed)
        sigma = math.hypot(spec.optics_sigma, rng.uniform(0, spec.blur_max_sigma))
        if sigma > 0.3:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
        f = img.astype(np.float32) * gain
        if spec.noise_sigma > 0:
            f += rng.normal(0, spec.noise_sigma, (img.shape[0], img.shape[1], 1)).astype(np.float32)
        img = np.clip(f, 0, 255).astype(np.uint8)
        q = int(rng.integers(spec.jpeg_quality[0], spec.jpeg_quality[1] + 1))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def _fill(img: np.ndarray, pts: np.ndarray, colour) -> None:
    """A filled polygon at sub-pixel precision with anti-aliased edges, as a lens would image it."""
    cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], colour, cv2.LINE_AA, shift=4)


def _silhouette(img, foot, head, colour) -> np.ndarray:
    """An upright figure from foot to head pixel (what a person looks like from a low oblique view)."""
    fx, fy = foot
    hx, hy = head
    s = (fy - hy) / 170.0
    if s <= 0:
        return np.array([foot, head])

    def at(dx: float, up: float) -> tuple[int, int]:
        k = up / 170.0
        return int(round(fx + (hx - fx) * k + dx * s)), int(round(fy - up * s))

    outline = np.array([at(-30, 172), at(30, 0)], float)
    height, width = img.shape[:2]
    off_frame = (
        outline[:, 0].max() < 0
        or outline[:, 0].min() > width
        or outline[:, 1].max() < 0
        or outline[:, 1].min() > height
    )
    # A figure beside or behind the camera projects huge; OpenCV refuses such line widths.
    if off_frame or s * 12 > max(height, width):
        return outline
    legs, arms = (40, 35, 35), colour
    cv2.circle(img, at(0, 160), max(1, int(11 * s)), (35, 35, 50), -1)
    cv2.rectangle(img, at(-18, 148), at(18, 85), colour, -1)
    cv2.line(img, at(-8, 85), at(-14, 0), legs, max(1, int(12 * s)))
    cv2.line(img, at(8, 85), at(14, 0), legs, max(1, int(12 * s)))
    cv2.line(img, at(-18, 145), at(-26, 95), arms, max(1, int(8 * s)))
    cv2.line(img, at(18, 145), at(26, 95), arms, max(1, int(8 * s)))
    return outline


@dataclass(frozen=True)
class FootageFiles:
    video: Path
    tlog: Path
    truth: Path
    frames: int


def write_footage(renderer: Renderer, out_dir: Path, name: str = "footage") -> FootageFiles:
    """Render every frame into ``<name>.mp4``, the flight into ``<name>.tlog``, truth into JSON."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = renderer.spec
    video, tlog, truth_path = (out_dir / f"{name}{ext}" for ext in (".mp4", ".tlog", ".truth.json"))
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"mp4v"), spec.fps, (spec.width, spec.height)
    )
    if not writer.isOpened():
        raise SimError(f"cannot write {video}: OpenCV has no mp4v encoder here; check the folder")
    frames = []
    try:
        for fr in renderer.frames():
            writer.write(fr.image)
            frames.append(
                {
                    "i": fr.index,
                    "t": round(fr.time, 4),
                    "pose": _pose_json(fr.pose),
                    "targets": fr.truth,
                }
            )
    finally:
        writer.release()
    _stamp_mp4(video, spec.start_time)
    write_tlog(renderer, tlog)
    cam = renderer.camera
    doc = {
        "start_time": spec.start_time,
        "fps": spec.fps,
        "district_elevation_m": renderer.elev,
        "camera": {
            "width": cam.width,
            "height": cam.height,
            "hfov_deg": spec.hfov_deg,
            "mount_pitch_deg": cam.mount_pitch_deg,
        },
        "spec": spec.model_dump(),
        "targets": [{"id": t.id, "kind": t.kind, "moving": t.moving} for t in renderer.targets],
        "frames": frames,
    }
    truth_path.write_text(json.dumps(doc))
    return FootageFiles(video, tlog, truth_path, len(frames))


def _stamp_mp4(path: Path, start_time: float) -> None:
    """Write the clip's start into the MP4's ``mvhd`` creation time, as a camera would."""
    from vision.source import mvhd_offset

    where = mvhd_offset(path)
    if where is None:
        return
    offset, width = where
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(int(start_time + 2_082_844_800).to_bytes(width, "big"))


def _pose_json(p: Pose) -> dict:
    a = p.attitude
    return {
        "lat": round(p.lat, 8),
        "lon": round(p.lon, 8),
        "alt_msl_m": round(p.alt_msl_m, 3),
        "alt_rel_m": round(p.alt_rel_m, 3),
        "roll_deg": round(a.roll_deg, 3),
        "pitch_deg": round(a.pitch_deg, 3),
        "yaw_deg": round(a.yaw_deg, 3),
    }


def write_tlog(renderer: Renderer, path: Path, rate_hz: float = 20.0) -> None:
    """The camera's flight as a telemetry log a ground station (and the geotagger) can replay."""
    from pymavlink.dialects.v20 import ardupilotmega as apm

    mav = apm.MAVLink(None, srcSystem=1, srcComponent=1)
    spec = renderer.spec
    stamp = struct.Struct(">Q")
    duration = renderer.frame_count / spec.fps
    n = int(duration * rate_hz) + int(rate_hz) + 1
    with open(path, "wb") as f:
        for k in range(n):
            t = k / rate_hz
            pose = renderer.pose_at(min(t, renderer.flight.duration))
            wall = int(round((spec.start_time + t) * 1e6))
            boot = int(t * 1000) + 60_000
            msgs = []
            if k % int(rate_hz) == 0:
                msgs.append(mav.heartbeat_encode(2, 3, 0x59, 3, 4))
            a = pose.attitude
            msgs.append(
                mav.global_position_int_encode(
                    boot,
                    int(round(pose.lat * 1e7)),
                    int(round(pose.lon * 1e7)),
                    int(round(pose.alt_msl_m * 1000)),
                    int(round(pose.alt_rel_m * 1000)),
                    0,
                    0,
                    0,
                    int(round(a.yaw_deg * 100)) % 36000,
                )
            )
            msgs.append(
                mav.attitude_encode(
                    boot,
                    math.radians(a.roll_deg),
                    math.radians(a.pitch_deg),
                    math.radians(((a.yaw_deg + 180) % 360) - 180),
                    0,
                    0,
                    0,
                )
            )
            for m in msgs:
                f.write(stamp.pack(wall) + m.pack(mav))
