"""The mission manifest hash, and the item-by-item comparison behind a verified upload.

The manifest is SHA-256 over a canonical JSON list of every item of the three stores, in the form
the vehicle stores them (``ardupilot.stored_form``: integer degE7 positions, float32 parameters,
altitude in whole centimetres, unused parameters as 0). Home (mission seq 0) is left out: the
vehicle replaces it with its own. So the hash of the plan that was checked equals the hash of
what a read-back finds on the vehicle, and telemetry can publish one number that ties the flight
to the checked plan.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence

from mission.model import Mission
from vehicle.autopilots import ardupilot
from vehicle.transfer.items import WireItem, wire_items
from vehicle.transfer.protocol import MissionType
from vehicle.transfer.upload import command_name

__all__ = ["manifest_sha256", "manifest_of_items", "compare_items", "ALT_TOLERANCE_M"]

ALT_TOLERANCE_M = 0.01


def _param(value: float) -> float | str:
    return "nan" if math.isnan(value) else value


def _canonical(mission_type: MissionType, seq: int, item: WireItem) -> dict:
    w = ardupilot.stored_form(mission_type, item)
    return {
        "type": mission_type.label,
        "seq": seq,
        "command": w.command,
        "frame": w.frame,
        "params": [_param(p) for p in (w.param1, w.param2, w.param3, w.param4)],
        "x": w.x,
        "y": w.y,
        "z_cm": int(round(w.z * 100)),
        "autocontinue": w.autocontinue,
    }


def manifest_of_items(stores: Mapping[MissionType, Sequence[WireItem]]) -> str:
    """SHA-256 hex of the canonical item list of the given stores (mission home excluded)."""
    canonical = []
    for mission_type in MissionType:
        items = list(stores.get(mission_type, ()))
        first = 1 if mission_type is MissionType.MISSION else 0
        canonical.extend(
            _canonical(mission_type, seq, w) for seq, w in enumerate(items) if seq >= first
        )
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_sha256(mission: Mission) -> str:
    """The manifest hash of a mission with its fence and rally points."""
    return manifest_of_items({t: wire_items(mission, t) for t in MissionType})


def _same_param(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare_items(
    mission_type: MissionType, sent: Sequence[WireItem], found: Sequence[WireItem]
) -> list[str]:
    """Differences between what was sent and what the vehicle holds, one line each.

    Positions must match exactly, altitude within 1 cm, command, frame, parameters (as float32)
    and autocontinue exactly, after the vehicle's own encoding (``stored_form``) is applied to
    both sides. Mission seq 0 (home) is skipped: the vehicle owns it.
    """
    label = mission_type.label
    out: list[str] = []
    if len(sent) != len(found):
        out.append(f"{len(sent)} {label} items sent, vehicle holds {len(found)}")
    first = 1 if mission_type is MissionType.MISSION else 0
    for seq in range(first, min(len(sent), len(found))):
        a, b = (ardupilot.stored_form(mission_type, x[seq]) for x in (sent, found))
        name = f"{label} item {seq} ({command_name(a.command)})"
        if a.command != b.command:
            out.append(f"{name}: command sent {a.command}, vehicle has {b.command}")
            continue
        if a.frame != b.frame:
            out.append(f"{name}: frame sent {a.frame}, vehicle has {b.frame}")
        if (a.x, a.y) != (b.x, b.y):
            out.append(f"{name}: position sent {a.x},{a.y} (degE7), vehicle has {b.x},{b.y}")
        if abs(a.z - b.z) > ALT_TOLERANCE_M + 1e-6:
            out.append(f"{name}: altitude sent {a.z:.2f} m, vehicle has {b.z:.2f} m")
        for i, (pa, pb) in enumerate(
            zip(
                (a.param1, a.param2, a.param3, a.param4),
                (b.param1, b.param2, b.param3, b.param4),
                strict=True,
            ),
            start=1,
        ):
            if not _same_param(pa, pb):
                out.append(f"{name}: param{i} sent {pa:g}, vehicle has {pb:g}")
        if a.autocontinue != b.autocontinue:
            out.append(f"{name}: autocontinue sent {a.autocontinue}, vehicle has {b.autocontinue}")
    return out
