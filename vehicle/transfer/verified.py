"""Whole-mission transfers: all three stores up, read back, compared, and the manifest hash.

This is the operator's guarantee: the mission on the vehicle is exactly the mission that was
checked. ``upload_verified`` uploads mission, fence and rally, downloads each again, compares item
by item (``manifest.compare_items``) and returns the manifest hash only when all three match.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mission.model import Mission
from vehicle.transfer.download import download_items
from vehicle.transfer.items import WireItem, mission_from_wire, wire_items
from vehicle.transfer.manifest import compare_items, manifest_of_items
from vehicle.transfer.protocol import (
    RETRIES,
    TIMEOUT_S,
    VEHICLE,
    MessageLink,
    MissionType,
    Target,
    VerifyError,
)
from vehicle.transfer.upload import AckLost, Progress, upload_items

__all__ = ["upload", "download", "download_mission", "upload_verified", "StoreProgress"]

StoreProgress = Callable[[MissionType, int, int], None]


def _per_store(progress: StoreProgress | None, mission_type: MissionType) -> Progress | None:
    if progress is None:
        return None
    return lambda done, total: progress(mission_type, done, total)


def upload(
    link: MessageLink,
    mission: Mission,
    *,
    mission_type: MissionType = MissionType.MISSION,
    target: Target = VEHICLE,
    progress: Progress | None = None,
    timeout_s: float = TIMEOUT_S,
    retries: int = RETRIES,
    item_limit: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Upload one store of ``mission`` (its items, fence or rally points)."""
    upload_items(
        link,
        wire_items(mission, mission_type),
        mission_type,
        target=target,
        progress=progress,
        timeout_s=timeout_s,
        retries=retries,
        item_limit=item_limit if mission_type is MissionType.MISSION else None,
        clock=clock,
    )


def download(
    link: MessageLink,
    mission_type: MissionType = MissionType.MISSION,
    **options,
) -> list[WireItem]:
    """One store as the vehicle holds it (see ``download_items`` for the options)."""
    return download_items(link, mission_type, **options)


def download_mission(
    link: MessageLink, *, progress: StoreProgress | None = None, **options
) -> tuple[Mission, str]:
    """All three stores as a ``Mission`` (home from the vehicle), and their manifest hash."""
    stores = {
        t: download_items(link, t, progress=_per_store(progress, t), **options) for t in MissionType
    }
    mission = mission_from_wire(
        stores[MissionType.MISSION], stores[MissionType.FENCE], stores[MissionType.RALLY]
    )
    return mission, manifest_of_items(stores)


def upload_verified(
    link: MessageLink,
    mission: Mission,
    *,
    target: Target = VEHICLE,
    progress: StoreProgress | None = None,
    timeout_s: float = TIMEOUT_S,
    retries: int = RETRIES,
    item_limit: int | None = None,
    window: int = 4,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Upload mission, fence and rally, read each back and compare; returns the manifest hash.

    Raises ``VerifyError`` listing the differences when the vehicle holds anything else. A lost
    final acknowledgement is not an error here: the read-back decides.
    """
    sent = {t: wire_items(mission, t) for t in MissionType}
    for mission_type in MissionType:
        try:
            upload_items(
                link,
                sent[mission_type],
                mission_type,
                target=target,
                progress=_per_store(progress, mission_type),
                timeout_s=timeout_s,
                retries=retries,
                item_limit=item_limit if mission_type is MissionType.MISSION else None,
                clock=clock,
            )
        except AckLost:
            pass
    for mission_type in MissionType:
        found = download_items(
            link,
            mission_type,
            target=target,
            timeout_s=timeout_s,
            retries=retries,
            window=window,
            clock=clock,
        )
        differences = compare_items(mission_type, sent[mission_type], found)
        if differences:
            raise VerifyError(mission_type, differences)
    return manifest_of_items(sent)
