"""Line spacing and trigger distance from a camera model and the overlaps a mosaic needs."""

from __future__ import annotations

from dataclasses import dataclass

from mission.errors import PlanError
from mission.text import N_

__all__ = ["Camera", "DEFAULT_CAMERA", "spacing_for", "trigger_distance_for"]

MIN_TRIGGER_M = 0.5


@dataclass(frozen=True)
class Camera:
    """A nadir camera, image width across track; sizes in millimetres and pixels."""

    sensor_w_mm: float
    sensor_h_mm: float
    focal_mm: float
    image_w_px: int
    image_h_px: int

    def __post_init__(self) -> None:
        values = (
            self.sensor_w_mm,
            self.sensor_h_mm,
            self.focal_mm,
            self.image_w_px,
            self.image_h_px,
        )
        sizes_mm, pixels = values[:3], values[3:]
        if not (all(0 < v <= 1000 for v in sizes_mm) and all(0 < v <= 100_000 for v in pixels)):
            raise PlanError(
                N_(
                    "camera sizes must be positive, at most 1000 mm and 100000 px; check "
                    "--sensor-w/--sensor-h/--focal/--image-w/--image-h"
                )
            )

    def footprint_m(self, alt_m: float) -> tuple[float, float]:
        """Ground width (across track) and height (along track) of one image at ``alt_m``."""
        return alt_m * self.sensor_w_mm / self.focal_mm, alt_m * self.sensor_h_mm / self.focal_mm

    def gsd_cm(self, alt_m: float) -> float:
        return 100.0 * self.footprint_m(alt_m)[0] / self.image_w_px


# A common 1-inch 20 MP survey camera (13.2 x 8.8 mm sensor, 8.8 mm lens, 5472 x 3648 px).
DEFAULT_CAMERA = Camera(13.2, 8.8, 8.8, 5472, 3648)


def _check_overlap(overlap: float, name: str) -> None:
    if not 0.0 <= overlap < 1.0:
        raise PlanError(
            N_(
                "{name} overlap {overlap:g} is outside [0, 1); give e.g. 0.7 for 70%",
                name=name,
                overlap=overlap,
            )
        )


def spacing_for(camera: Camera, alt_m: float, side_overlap: float = 0.70) -> float:
    _check_overlap(side_overlap, "side")
    return camera.footprint_m(alt_m)[0] * (1.0 - side_overlap)


def trigger_distance_for(camera: Camera, alt_m: float, front_overlap: float = 0.80) -> float:
    _check_overlap(front_overlap, "front")
    distance = camera.footprint_m(alt_m)[1] * (1.0 - front_overlap)
    if distance < MIN_TRIGGER_M:  # written as 0.0 m, ArduPilot reads it as "stop triggering"
        raise PlanError(
            N_(
                "a front overlap of {overlap:.7g} triggers the camera every {distance:.2g} m, under "
                "{least:g} m; lower --front-overlap",
                overlap=front_overlap,
                distance=distance,
                least=MIN_TRIGGER_M,
            )
        )
    return distance
