"""Putting one sortie on a vehicle: the one upload service of ``gridpatrol upload`` and the runner.

The order is the safety argument: the mission's own checks first (nothing unchecked is sent),
then the pack and the safety parameters (``preflight`` with ``write``: set and read back), every
parameter confirmed, and only then the mission, fence and rally points, read back and compared.
The manifest hash it returns is the one ``download`` and the telemetry bridge compute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mission.checks import require_safe
from mission.model import District, Mission
from vehicle.params import require_confirmed
from vehicle.sortie_flight import Preflight, SortiePlan, preflight
from vehicle.transfer import upload_verified
from vehicle.transfer.protocol import MessageLink, Target
from vehicle.transfer.verified import StoreProgress

__all__ = ["Uploaded", "upload_sortie"]


@dataclass(frozen=True)
class Uploaded:
    """What the vehicle now holds: the preflight it passed and the verified manifest hash."""

    preflight: Preflight
    digest: str


def upload_sortie(
    link: MessageLink,
    target: Target,
    mission: Mission,
    district: District,
    plan: SortiePlan,
    *,
    item_limit: int,
    checked: Callable[[Preflight], None] | None = None,
    progress: StoreProgress | None = None,
) -> Uploaded:
    """Check, preflight (writing the safety table), confirm, upload and verify one sortie.

    ``checked`` sees the preflight before its rows are required to be confirmed, so a caller can
    show the table that explains a refusal.
    """
    require_safe(mission, district, ceiling_m=plan.ceiling_m, item_limit=item_limit)
    passed = preflight(link, target, mission, district, plan, write=True)
    if checked is not None:
        checked(passed)
    require_confirmed(passed.rows)
    digest = upload_verified(link, mission, target=target, progress=progress, item_limit=item_limit)
    return Uploaded(passed, digest)
