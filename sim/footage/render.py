"""Drawing rendered footage: the ground and the targets projected through the geotagger's camera.

Each frame is the procedural ground seen from the flight's pose at that instant, with every
target drawn at its known position and its ground truth recorded; exposure drift, blur, sensor
noise and JPEG compression are added on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mission.model import District
from sim.footage.scene import (
    MAX_RANGE_H,
    PERSON_HEIGHT_M,
    PRIVACY_PAINT,
    FootageSpec,
    Target,
    place_targets,
)
from sim.ground import GroundTexture
from vision.camera import ground_points, ground_to_image, project_points
from vision.pose import Pose

__all__ = ["Renderer", "RenderedFrame"]


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
