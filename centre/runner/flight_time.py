"""How much longer sorties really take than the flight model says, learnt as the day is flown.

With a fixed cost per corner, ArduPilot SITL sorties took 1.10 times their modelled time on
average and up to 1.27 times (``bench/patrol_soak.py``). The flight model now charges corners by
turn angle, short legs, the take-off and the landing as measured on SITL
(``bench/flight_model_sitl.py``), so a plan is right from the first sortie; a real airframe, wind
or other autopilot parameters can still fly longer, and this factor catches that. The reserve is
the battery failsafe's level, so a sortie that runs long meets the failsafe: the drone comes home
and the sortie is lost, or, with a pack sized to the model, a sortie the battery cannot fly is
flown. So the runner measures every sortie that lands (take-off to landing, against its planned
duration) and from then on holds the worst factor seen against the model: the endurance check
counts that much more energy, and re-plans and check tasks plan with that much less endurance.
"""

from __future__ import annotations

import dataclasses
import math

from centre.runner.store import SortieRecord
from mission.flight_model import FlightModel
from vehicle.endurance import Consumption
from vehicle.sortie_flight import SortiePlan

__all__ = ["FlightTimes", "stretched_plan", "shortened_model", "FACTOR_CAP"]

FACTOR_CAP = 2.0  # beyond this the flight model is wrong, not slow: the factor stops growing here
MIN_PLANNED_S = 60.0  # shorter sorties measure the take-off more than the model


class FlightTimes:
    """The worst flown/planned time factor so far (never below 1)."""

    def __init__(self, factor: float = 1.0):
        self.factor = min(max(factor, 1.0), FACTOR_CAP) if math.isfinite(factor) else 1.0
        self._up: dict[str, float] = {}

    def note(self, record: SortieRecord, now_s: float) -> bool:
        """Fold a sortie state in (``now_s``: schedule seconds); True when the factor grew."""
        if record.state == "airborne":
            self._up.setdefault(record.id, now_s)
            return False
        up = self._up.pop(record.id, None)
        planned = record.end_s - record.start_s
        if record.state != "landed" or up is None or planned < MIN_PLANNED_S:
            return False
        ratio = min((now_s - up) / planned, FACTOR_CAP)
        if not ratio > self.factor:
            return False
        self.factor = ratio
        return True


def stretched_plan(plan: SortiePlan, factor: float) -> SortiePlan:
    """The sortie plan whose endurance check counts ``factor`` times the modelled energy."""
    if plan.consumption is None or factor <= 1.0:
        return plan
    rate = plan.consumption.mah_per_min * factor
    source = f"{plan.consumption.source}, x{factor:.2f} for flights longer than modelled"
    return dataclasses.replace(plan, consumption=Consumption(rate, source))


def shortened_model(model: FlightModel, factor: float) -> FlightModel:
    """The flight model with its endurance divided by ``factor``, for re-plans."""
    if factor <= 1.0:
        return model
    return dataclasses.replace(model, endurance_min=model.endurance_min / factor)
