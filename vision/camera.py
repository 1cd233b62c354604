"""The camera model: pinhole intrinsics and a fixed mount on the vehicle, and the rays they imply.

Frames (right-handed):
- world: local metres of the district's frame, x east, y north, z up (the ground is ``z = 0``);
- NED: north, east, down, the frame MAVLink attitudes are given in;
- body: forward, right, down (FRD), rotated from NED by yaw, pitch, roll (ZYX);
- camera: OpenCV's x right, y down, z along the optical axis.

The mount pitch follows the gimbal convention: 0 looks forward, -90 (the default) straight down, with
the top of the picture towards the nose. Both the renderer in ``sim/`` and the geotagger use these
functions, so a rendered frame and its geotag agree by construction and only real errors remain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Camera",
    "Attitude",
    "ned_from_body",
    "world_from_camera",
    "ground_to_image",
    "ground_points",
    "reaches_ground",
    "project_points",
]

_NED_FROM_ENU = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True)
class Attitude:
    """Vehicle attitude in degrees, as MAVLink ATTITUDE reports it (yaw clockwise from north)."""

    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_deg: float = 0.0


@dataclass(frozen=True)
class Camera:
    """Pinhole intrinsics for one image size, plus the fixed mount pitch."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    mount_pitch_deg: float = -90.0

    @classmethod
    def from_hfov(
        cls, width: int, height: int, hfov_deg: float, mount_pitch_deg: float = -90.0
    ) -> Camera:
        """Square pixels and a centred principal point: all a video file usually tells us."""
        f = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width, height, f, f, width / 2.0, height / 2.0, mount_pitch_deg)

    @classmethod
    def from_sensor(
        cls,
        width: int,
        height: int,
        sensor_width_mm: float,
        focal_mm: float,
        mount_pitch_deg: float = -90.0,
    ) -> Camera:
        f = focal_mm / sensor_width_mm * width
        return cls(width, height, f, f, width / 2.0, height / 2.0, mount_pitch_deg)

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def scaled(self, width: int, height: int) -> Camera:
        """The same lens seen at another image size (frames are often downscaled for speed)."""
        sx, sy = width / self.width, height / self.height
        return Camera(
            width,
            height,
            self.fx * sx,
            self.fy * sy,
            self.cx * sx,
            self.cy * sy,
            self.mount_pitch_deg,
        )

    def body_from_camera(self) -> np.ndarray:
        t = math.radians(self.mount_pitch_deg)
        x_c = np.array([0.0, 1.0, 0.0])
        z_c = np.array([math.cos(t), 0.0, -math.sin(t)])
        y_c = np.cross(z_c, x_c)
        return np.column_stack([x_c, y_c, z_c])


def ned_from_body(att: Attitude) -> np.ndarray:
    r, p, y = (math.radians(a) for a in (att.roll_deg, att.pitch_deg, att.yaw_deg))
    cr, sr, cp, sp, cy, sy = (
        math.cos(r),
        math.sin(r),
        math.cos(p),
        math.sin(p),
        math.cos(y),
        math.sin(y),
    )
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return rz @ ry @ rx


def world_from_camera(camera: Camera, att: Attitude) -> np.ndarray:
    """Rotation taking camera-frame vectors to world (ENU) vectors."""
    return _NED_FROM_ENU.T @ ned_from_body(att) @ camera.body_from_camera()


def ground_to_image(
    camera: Camera, att: Attitude, position: tuple[float, float, float]
) -> np.ndarray:
    """Homography from world ground-plane (x, y, 1) to image pixels, for a camera at ``position``.

    ``position`` is (x, y, height above ground) in world metres.
    """
    r_cw = world_from_camera(camera, att).T
    c = np.asarray(position, dtype=float)
    a = np.column_stack([r_cw[:, 0], r_cw[:, 1], -r_cw @ c])
    return camera.K @ a


def ground_points(
    camera: Camera,
    att: Attitude,
    position: tuple[float, float, float],
    u,
    v,
    max_range_factor: float = 8.0,
) -> tuple[np.ndarray, np.ndarray]:
    """World (x, y) where the rays through pixels (u, v) meet the ground plane.

    Rays at or above the horizon never meet it; they are cut at ``max_range_factor`` x height of
    horizontal range so footprints stay finite.
    """
    cx, cy, h = position
    rays = _rays(camera, att, u, v)
    t = np.minimum(_to_ground(rays, h), _range_cut(rays, h, max_range_factor))
    return cx + t * rays[0], cy + t * rays[1]


def reaches_ground(
    camera: Camera, att: Attitude, height_m: float, u, v, max_range_factor: float = 8.0
) -> np.ndarray:
    """Per pixel, whether its ray meets the ground within ``max_range_factor`` x height of
    horizontal range. Where it does not (the sky, the horizon, ground too far off to resolve
    anything), ``ground_points`` gives the cut point, which is no place to send a ground team."""
    rays = _rays(camera, att, u, v)
    return (rays[2] < 0) & (
        _to_ground(rays, height_m) <= _range_cut(rays, height_m, max_range_factor)
    )


def _rays(camera: Camera, att: Attitude, u, v) -> np.ndarray:
    """World directions (3 x N) of the rays through pixels (u, v)."""
    pix = np.vstack([np.atleast_1d(u), np.atleast_1d(v), np.ones(np.size(u))]).astype(float)
    return world_from_camera(camera, att) @ (np.linalg.inv(camera.K) @ pix)


def _to_ground(rays: np.ndarray, h: float) -> np.ndarray:
    return h / -np.minimum(rays[2], -1e-9)


def _range_cut(rays: np.ndarray, h: float, max_range_factor: float) -> np.ndarray:
    return max_range_factor * max(h, 1.0) / np.maximum(np.hypot(rays[0], rays[1]), 1e-9)


def project_points(
    camera: Camera, att: Attitude, position: tuple[float, float, float], points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of world points (N x 3, z up from the ground) and whether each is in front."""
    r_cw = world_from_camera(camera, att).T
    p = (np.asarray(points, float) - np.asarray(position, float)) @ r_cw.T
    front = p[:, 2] > 1e-6
    z = np.where(front, p[:, 2], 1.0)
    uv = np.column_stack([camera.fx * p[:, 0] / z + camera.cx, camera.fy * p[:, 1] / z + camera.cy])
    return uv, front
