"""The upload's safety step: a sortie's safety table set on the vehicle, read back, and in force.

Setting a parameter is not always enough: ArduPilot reads some only at boot (``OA_TYPE``, the
path planner that takes a failsafe return round the no-fly zones). When the write changes one of
those, the vehicle is restarted (``vehicle.restart``) and the table read again, so the rows the
operator sees are those of the autopilot that will fly.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mission.model import District, Mission
from vehicle.commands import Vehicle
from vehicle.params import ParamClient, ParamRow
from vehicle.restart import readiness, restart
from vehicle.safety_params import safety_config_for, safety_settings
from vehicle.transfer.protocol import VEHICLE, MessageLink, Target

__all__ = ["apply_sortie_safety"]


def apply_sortie_safety(
    link: MessageLink,
    mission: Mission,
    district: District,
    *,
    target: Target = VEHICLE,
    autopilot: str = "ardupilot",
    client_options: dict[str, Any] | None = None,
    **config_options: Any,
) -> list[ParamRow]:
    """Set and read back the safety table of the sortie ``mission`` flies, restarting the vehicle
    when a boot-time parameter changed (those rows come back with ``reboot`` set).

    ``config_options`` go to ``safety_config_for`` (ceiling_m, reserve, gcs_timeout_s, battery,
    sysid). Returns the rows for the operator's table; ``require_confirmed`` decides. A table that
    is not wholly confirmed is returned as it is, without a restart: it must not fly anyway.
    """
    config = safety_config_for(mission, district, **config_options)
    client = ParamClient(link, target, **(client_options or {}))
    settings = safety_settings(config, autopilot)
    pending = client.not_in_force(settings)
    before = readiness(Vehicle(link, target)) if pending else None
    rows = client.apply(settings)
    if before is None or not all(r.ok for r in rows):
        return rows
    restart(link, target, why=", ".join(pending), back_to=before)
    return [dataclasses.replace(r, reboot=r.name in pending) for r in client.verify(settings)]
