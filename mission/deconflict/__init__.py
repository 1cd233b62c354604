"""Keeping concurrent sorties apart: altitude layers, and the loss-of-separation check.

Several drones patrol one dense district at once. Sorties whose time slots overlap fly at
different altitude layers (10 m apart by default, inside the ceiling), and each sortie's RTL
altitude is its own layer, so two drones coming home never climb into each other. Layers alone
are not proof: drones climb and descend through the other layers at take-off and landing. The
separation check therefore flies every pair of concurrent sorties under the flight model
(``mission.trajectory``) and reports every moment they are closer than 30 m horizontally AND
10 m vertically. Between trajectory vertices both drones move in straight lines, so each interval
is solved exactly (a quadratic for the horizontal distance, a line for the vertical); nothing
slips between samples.

Split by concern: ``layers``, ``conflicts`` (the check), ``search`` (finding a separated
layering) and ``schedule`` (the check and the layering over a whole schedule).
"""

from mission.deconflict.conflicts import (
    HORIZONTAL_M,
    VERTICAL_M,
    Conflict,
    Flight,
    check_separation,
    describe,
    find_conflicts,
    trajectories,
)
from mission.deconflict.layers import LayerPolicy, assign_layers, with_layer
from mission.deconflict.schedule import (
    check_missions,
    check_schedule,
    layer_schedule,
    schedule_flights,
    schedule_missions,
)
from mission.deconflict.search import separate

__all__ = [
    "HORIZONTAL_M",
    "VERTICAL_M",
    "Flight",
    "LayerPolicy",
    "Conflict",
    "assign_layers",
    "with_layer",
    "trajectories",
    "find_conflicts",
    "describe",
    "check_separation",
    "separate",
    "schedule_flights",
    "schedule_missions",
    "check_schedule",
    "check_missions",
    "layer_schedule",
]
