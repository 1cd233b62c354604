"""Pluggable frame detectors: each looks at a frame and returns boxes, scores and its name.

They flag activity, objects and vegetation. None of them identifies a person.
"""

from vision.detectors.base import Detection, Detector, FrameContext, take_notices
from vision.detectors.registry import DETECTOR_NAMES, build_detectors

__all__ = [
    "Detection",
    "Detector",
    "FrameContext",
    "DETECTOR_NAMES",
    "build_detectors",
    "take_notices",
]
