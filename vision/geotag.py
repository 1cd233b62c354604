"""From a pixel and the pose of its frame to a place on the ground, its uncertainty and its cell.

The ray through the pixel is intersected with flat ground at the district's elevation. The
uncertainty radius is propagated numerically: the ground point is recomputed with altitude,
roll, pitch and yaw each moved by its expected error, and the shifts are added in quadrature with
the GNSS position error. Reported radius = ``k_sigma`` x that standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from mission.model import District
from vision.camera import Attitude, Camera, ground_points, reaches_ground
from vision.pose import Pose

__all__ = ["GroundFix", "PoseErrors", "Geotagger", "CellLookup"]


class CellLookup(Protocol):
    def lookup_xy(self, x, y) -> np.ndarray: ...


@dataclass(frozen=True)
class PoseErrors:
    """Expected 1-sigma errors of the telemetry pose and of the camera mount."""

    altitude_m: float = 1.5
    attitude_deg: float = 2.0
    position_m: float = 1.5
    k_sigma: float = 2.0


@dataclass(frozen=True)
class GroundFix:
    x: float
    y: float
    lat: float
    lon: float
    uncertainty_m: float
    cell: int
    team: str | None


class Geotagger:
    """Pixels of one camera to ground fixes in one district."""

    def __init__(
        self,
        camera: Camera,
        district: District,
        cells: CellLookup | None = None,
        errors: PoseErrors = PoseErrors(),
        max_range_factor: float = 8.0,
    ):
        self.camera = camera
        self.district = district
        self.cells = cells
        self.errors = errors
        self.max_range_factor = max_range_factor
        self._teams = {c.id: c.team for c in district.cells}

    def height_above_ground(self, pose: Pose) -> float:
        if self.district.ground_elevation_m is not None:
            return pose.alt_msl_m - self.district.ground_elevation_m
        return pose.alt_rel_m

    def camera_xy(self, pose: Pose) -> tuple[float, float]:
        x, y = self.district.frame.to_metric(pose.lon, pose.lat)
        return float(x), float(y)

    def ground_xy(self, pose: Pose, u, v) -> tuple[np.ndarray, np.ndarray]:
        """World (x, y) of pixels (u, v); rays near or above the horizon are cut at a far range."""
        cx, cy = self.camera_xy(pose)
        return self._project(pose.attitude, cx, cy, self.height_above_ground(pose), u, v)

    def _project(self, att: Attitude, cx: float, cy: float, h: float, u, v):
        return ground_points(self.camera, att, (cx, cy, h), u, v, self.max_range_factor)

    def on_ground(self, pose: Pose, u: float, v: float) -> bool:
        """Whether pixel (u, v) sees the ground within range (``reaches_ground``)."""
        h = self.height_above_ground(pose)
        return bool(reaches_ground(self.camera, pose.attitude, h, u, v, self.max_range_factor)[0])

    def locate(self, pose: Pose, u: float, v: float) -> GroundFix:
        h = self.height_above_ground(pose)
        cx, cy = self.camera_xy(pose)
        x, y = (float(a[0]) for a in self._project(pose.attitude, cx, cy, h, u, v))
        lon, lat = self.district.frame.to_lonlat(x, y)
        cell = int(self.cells.lookup_xy(np.array([x]), np.array([y]))[0]) if self.cells else 0
        return GroundFix(
            x,
            y,
            float(lat),
            float(lon),
            self.uncertainty(pose, u, v, (x, y)),
            cell,
            self._teams.get(cell),
        )

    def uncertainty(self, pose: Pose, u: float, v: float, at: tuple[float, float]) -> float:
        e = self.errors
        h = self.height_above_ground(pose)
        cx, cy = self.camera_xy(pose)
        a = pose.attitude
        variants = [
            (a, h + e.altitude_m),
            (replace(a, roll_deg=a.roll_deg + e.attitude_deg), h),
            (replace(a, pitch_deg=a.pitch_deg + e.attitude_deg), h),
            (replace(a, yaw_deg=a.yaw_deg + e.attitude_deg), h),
        ]
        var = e.position_m**2
        for att, hh in variants:
            x, y = self._project(att, cx, cy, hh, u, v)
            var += (float(x[0]) - at[0]) ** 2 + (float(y[0]) - at[1]) ** 2
        return e.k_sigma * float(np.sqrt(var))

    def footprint(self, pose: Pose) -> list[list[float]]:
        """The frame's ground outline as [lon, lat] pairs (closed ring), for the alert."""
        w, hgt = self.camera.width, self.camera.height
        x, y = self.ground_xy(pose, np.array([0, w, w, 0, 0]), np.array([0, 0, hgt, hgt, 0]))
        lon, lat = self.district.frame.to_lonlat(x, y)
        return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
