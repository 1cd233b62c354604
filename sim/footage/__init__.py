"""Synthetic patrol footage with ground truth: the district's ground seen from a flying camera.

Real patrol footage cannot be shipped, so the vision pipeline is measured on frames rendered here.
Each frame is the procedural ground (``sim.ground``) projected through the same camera model the
geotagger uses, with targets drawn at known positions: moving people-sized figures, parked and
moving vehicles, and flowering patches in green plots. Exposure drift, blur, sensor noise and JPEG
compression are added on top. ``write_footage`` stores an MP4, a ``.tlog`` of the camera's flight
(8-byte big-endian µs stamp + MAVLink 2 packet) and a ground-truth JSON with every target per frame.
The package is split by concern: ``scene`` (spec, flights, targets), ``render`` (frames) and
``files`` (MP4, ``.tlog``, truth).
"""

from sim.footage.files import FootageFiles, write_footage, write_tlog
from sim.footage.render import RenderedFrame, Renderer
from sim.footage.scene import (
    FootageSpec,
    Target,
    TrackFlight,
    WaypointFlight,
    flight_from_mission,
    place_targets,
    straight_flight,
)

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
    "write_tlog",
]
