"""Detectors picked by name, the way the command line and the config ask for them."""

from __future__ import annotations

from collections.abc import Sequence

from mission.text import N_
from vision.config import VisionConfig
from vision.detectors.base import Detector
from vision.errors import VisionError

__all__ = ["DETECTOR_NAMES", "build_detectors", "UnknownDetector"]

DETECTOR_NAMES = ("activity", "people", "thermal", "bloom", "model")


class UnknownDetector(VisionError):
    """A detector name that is not one of ``DETECTOR_NAMES``."""


def build_detectors(names: Sequence[str], config: VisionConfig) -> list[Detector]:
    """Detectors in pipeline order: activity first, since people scans the regions it proposes."""
    from vision.detectors.activity import ActivityDetector
    from vision.detectors.bloom import BloomDetector
    from vision.detectors.model import ModelDetector
    from vision.detectors.people import PeopleDetector
    from vision.detectors.thermal import ThermalDetector

    factories = {
        "activity": lambda: ActivityDetector(config.activity),
        "people": lambda: PeopleDetector(config.people),
        "thermal": lambda: ThermalDetector(config.thermal),
        "bloom": lambda: BloomDetector(config.bloom),
        "model": lambda: ModelDetector(config.model),
    }
    wanted = [n.strip() for n in names if n.strip()]
    for n in wanted:
        if n not in factories:
            raise UnknownDetector(
                N_(
                    "unknown detector {n}; choose from {detector_names}",
                    n=repr(n),
                    detector_names=", ".join(DETECTOR_NAMES),
                )
            )
    return [factories[n]() for n in DETECTOR_NAMES if n in wanted]
