"""Scoring detectors on labelled footage without telemetry (``gridpatrol vision eval``).

``labels`` reads YOLO and VOC files as hostile input, ``matching`` says when a detection finds a
label, ``runner`` runs detectors and tracker without a pose, ``movers`` derives which labelled
vehicles move, and ``service`` ties them into one evaluation.
"""

from vision.evaluate.labels import LabelError
from vision.evaluate.service import EvalError, EvalReport, evaluate

__all__ = ["EvalError", "EvalReport", "LabelError", "evaluate"]
