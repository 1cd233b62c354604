"""Ground-truth boxes from other tools: YOLO ``.txt`` (one per frame) and Pascal VOC ``.xml``.

Label files come from elsewhere and are read as hostile: size-capped, every number checked to be
finite, classes checked against a known list, DOCTYPE/ENTITY declarations refused (no entity
expansion), boxes clipped to the frame. A file that breaks a rule is a ``LabelError`` naming the
file, the line and the fix; a box that lies wholly outside the frame is dropped and counted.
Label class names are mapped to the alert codes the detectors raise (``vehicle``, ``person``).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from mission.text import N_
from vision.errors import VisionError

__all__ = [
    "LABEL_CODES",
    "IGNORED_CLASSES",
    "LabelError",
    "LabelBox",
    "FrameLabels",
    "read_yolo",
    "read_voc",
    "yolo_names",
]

MAX_LABEL_BYTES = 2_000_000  # a label file of one frame is a few kB; more is not a label file

LABEL_CODES = {
    "car": "vehicle",
    "truck": "vehicle",
    "bus": "vehicle",
    "minibus": "vehicle",
    "van": "vehicle",
    "vehicle": "vehicle",
    "motorcycle": "vehicle",
    "motor": "vehicle",  # VisDrone's name for motorcycles
    "tricycle": "vehicle",
    "awning-tricycle": "vehicle",
    "othervehicle": "vehicle",  # HIT-UAV
    "other vehicle": "vehicle",
    "person": "person",
    "people": "person",
    "pedestrian": "person",
    "cyclist": "person",
}
# Regions not scored either way: what the labeller marked so (DontCare; VisDrone's "ignored
# regions" and "others"), and bicycles (HIT-UAV, VisDrone), which may carry a rider, who is
# neither a false person nor a missed vehicle.
IGNORED_CLASSES = {"dontcare", "ignored regions", "others", "bicycle"}


class LabelError(VisionError):
    """A label file is unreadable, malformed, or names a class with no alert code."""


@dataclass(frozen=True)
class LabelBox:
    box: tuple[float, float, float, float]
    code: str
    name: str


@dataclass
class FrameLabels:
    """The boxes of one frame, the regions to ignore, and how many boxes lay outside the frame."""

    boxes: list[LabelBox] = field(default_factory=list)
    ignore: list[tuple[float, float, float, float]] = field(default_factory=list)
    outside: int = 0


def _read_text(path: Path, limit: int = MAX_LABEL_BYTES) -> str:
    try:
        size = path.stat().st_size
        if size > limit:
            raise LabelError(
                N_(
                    "label file {path} is {size} bytes, over {max_label_bytes}; is it a label file?",
                    path=path,
                    size=size,
                    max_label_bytes=limit,
                )
            )
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise LabelError(
            N_(
                "cannot read label file {path}: {strerror}; check --labels",
                path=path,
                strerror=exc.strerror,
            )
        ) from exc
    except UnicodeDecodeError as exc:
        raise LabelError(
            N_("label file {path} is not UTF-8 text; is it a label file?", path=path)
        ) from exc


def _code(name: str, where: str) -> str | None:
    key = name.strip().lower()
    if key in IGNORED_CLASSES:
        return None
    if key not in LABEL_CODES:
        raise LabelError(
            N_(
                "{where}: unknown class {name}; known classes: {label_codes}",
                where=where,
                name=repr(name),
                label_codes=", ".join(sorted(LABEL_CODES)),
            )
        )
    return LABEL_CODES[key]


def _add(out: FrameLabels, box, code: str | None, name: str, size: tuple[int, int]) -> None:
    w, h = size
    x0, y0, x1, y1 = (
        max(0.0, box[0]),
        max(0.0, box[1]),
        min(float(w), box[2]),
        min(float(h), box[3]),
    )
    if x1 <= x0 or y1 <= y0:
        out.outside += 1
        return
    if code is None:
        out.ignore.append((x0, y0, x1, y1))
    else:
        out.boxes.append(LabelBox((x0, y0, x1, y1), code, name))


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError) as exc:
        raise LabelError(
            N_("{where}: {text} is not a number; fix the label file", where=where, text=repr(text))
        ) from exc
    if not math.isfinite(value):
        raise LabelError(
            N_(
                "{where}: {text} is not a finite number; fix the label file",
                where=where,
                text=repr(text),
            )
        )
    return value


def yolo_names(folder: Path) -> list[str] | None:
    """Class names of YOLO labels from ``classes.txt``, ``obj.names`` or a single ``*.names``."""
    candidates = [folder / "classes.txt", folder / "obj.names"]
    candidates += sorted(folder.glob("*.names"))
    for path in candidates:
        if path.is_file():
            return [n.strip() for n in _read_text(path).splitlines() if n.strip()]
    return None


def read_yolo(path: Path, size: tuple[int, int], names: list[str]) -> FrameLabels:
    """``class cx cy w h`` lines, normalised to the frame ``size`` (width, height)."""
    out = FrameLabels()
    w, h = size
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        where = f"{path}:{n}"
        if len(parts) < 5:
            raise LabelError(
                N_(
                    "{where}: expected 'class cx cy w h', got {line}",
                    where=where,
                    line=repr(line[:60]),
                )
            )
        if not parts[0].isdigit() or int(parts[0]) >= len(names):
            raise LabelError(
                N_(
                    "{where}: unknown class id {parts}; the class names list has {n_names} entries "
                    "(classes.txt or --label-names)",
                    where=where,
                    parts=repr(parts[0][:20]),
                    n_names=len(names),
                )
            )
        name = names[int(parts[0])]
        cx, cy, bw, bh = (_number(p, where) for p in parts[1:5])
        if bw < 0 or bh < 0:
            raise LabelError(N_("{where}: negative box size; fix the label file", where=where))
        box = ((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h)
        _add(out, box, _code(name, where), name, size)
    return out


def read_voc(path: Path, size: tuple[int, int]) -> FrameLabels:
    """Pascal VOC ``<object><name/><bndbox/></object>``; ``DontCare`` objects become ignore zones."""
    text = _read_text(path)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise LabelError(
            N_("label file {path} declares a DOCTYPE/ENTITY; VOC files have none", path=path)
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise LabelError(
            N_("label file {path} is not well-formed XML ({exc}); fix it", path=path, exc=exc)
        ) from exc
    out = FrameLabels()
    for i, obj in enumerate(root.iter("object"), 1):
        where = f"{path}: object {i}"
        name = (obj.findtext("name") or "").strip()
        bb = obj.find("bndbox")
        if not name or bb is None:
            raise LabelError(
                N_("{where} has no <name> or <bndbox>; fix the label file", where=where)
            )
        box = tuple(_number(bb.findtext(k) or "", f"{where} {k}") for k in _VOC_KEYS)
        if box[2] < box[0] or box[3] < box[1]:
            raise LabelError(
                N_("{where}: xmax/ymax below xmin/ymin; fix the label file", where=where)
            )
        _add(out, box, _code(name, where), name, size)
    return out


_VOC_KEYS = ("xmin", "ymin", "xmax", "ymax")
