"""Read a store back from the vehicle (MISSION_REQUEST_LIST, then each item), and clear one.

Here we drive: we ask for the count, then for items by seq. Items that arrive twice, early or
unasked are sorted by their seq; an item that does not come within ``item_timeout_s`` is asked
for again, ``retries`` times. ``window`` items may be asked for at once: the vehicle answers
each request on its own, so a window hides the round-trip time that dominates a read-back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mission.text import N_
from vehicle.transfer.items import WireItem
from vehicle.transfer.protocol import (
    ACCEPTED,
    ITEM_TIMEOUT_S,
    RETRIES,
    TIMEOUT_S,
    VEHICLE,
    Exchange,
    MessageLink,
    MissionResultError,
    MissionType,
    Target,
    TransferTimeout,
)
from vehicle.transfer.upload import Progress

__all__ = ["download_items", "clear"]


def download_items(
    link: MessageLink,
    mission_type: MissionType = MissionType.MISSION,
    *,
    target: Target = VEHICLE,
    progress: Progress | None = None,
    timeout_s: float = TIMEOUT_S,
    item_timeout_s: float = ITEM_TIMEOUT_S,
    retries: int = RETRIES,
    window: int = 1,
    clock: Callable[[], float] = time.monotonic,
) -> list[WireItem]:
    """Every item of the vehicle's ``mission_type`` store, in seq order."""
    ex = Exchange(link, target, clock=clock)
    n = _count(ex, mission_type, timeout_s, retries)
    mav = link.mav
    mt = int(mission_type)
    got: dict[int, WireItem] = {}
    asked: dict[int, float] = {}
    tries: dict[int, int] = {}
    next_seq = 0

    def ask(seq: int) -> None:
        ex.send(mav.mission_request_int_encode(target.system, target.component, seq, mt))
        asked[seq] = clock() + item_timeout_s

    while len(got) < n:
        while len(asked) < max(window, 1) and next_seq < n:
            if next_seq not in got:
                ask(next_seq)
            next_seq += 1
        msg = ex.recv_until(min(asked.values()))
        if msg is None:
            now = clock()
            for seq in [s for s, due in asked.items() if due <= now]:
                tries[seq] = tries.get(seq, 0) + 1
                if tries[seq] > retries:
                    raise TransferTimeout(
                        N_(
                            "vehicle did not send {label} item {seq} of {n} ({retries} retries of "
                            "{item_timeout_s:g} s); check the link and download again",
                            label=mission_type.label,
                            seq=seq,
                            n=n,
                            retries=retries,
                            item_timeout_s=item_timeout_s,
                        )
                    )
                ask(seq)
            continue
        kind = msg.get_type()
        if kind == "MISSION_ITEM_INT" and msg.mission_type == mt:
            seq = int(msg.seq)
            if 0 <= seq < n and seq not in got:
                got[seq] = WireItem.from_message(msg)
                asked.pop(seq, None)
                if progress is not None:
                    progress(len(got), n)
        elif kind == "MISSION_ACK" and msg.mission_type == mt and msg.type != ACCEPTED:
            where = f"item {min(asked)}" if asked else "MISSION_REQUEST_LIST"
            raise MissionResultError(msg.type, mission_type, where, operation="download")
    ex.send(mav.mission_ack_encode(target.system, target.component, ACCEPTED, mt))
    return [got[i] for i in range(n)]


def _count(ex: Exchange, mission_type: MissionType, timeout_s: float, retries: int) -> int:
    mav = ex.mav
    mt = int(mission_type)
    request = mav.mission_request_list_encode(ex.target.system, ex.target.component, mt)
    for _ in range(retries + 1):
        ex.send(request)
        deadline = ex.clock() + timeout_s
        while (msg := ex.recv_until(deadline)) is not None:
            kind = msg.get_type()
            if kind == "MISSION_COUNT" and msg.mission_type == mt:
                return int(msg.count)
            if kind == "MISSION_ACK" and msg.mission_type == mt and msg.type != ACCEPTED:
                raise MissionResultError(
                    msg.type, mission_type, "MISSION_REQUEST_LIST", operation="download"
                )
    raise TransferTimeout(
        N_(
            "vehicle never answered the {label} MISSION_REQUEST_LIST ({retries} retries of "
            "{timeout_s:g} s); check the link and the target system id",
            label=mission_type.label,
            retries=retries,
            timeout_s=timeout_s,
        )
    )


def clear(
    link: MessageLink,
    mission_type: MissionType = MissionType.MISSION,
    *,
    target: Target = VEHICLE,
    timeout_s: float = TIMEOUT_S,
    retries: int = RETRIES,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Empty the vehicle's ``mission_type`` store (MISSION_CLEAR_ALL, acknowledged)."""
    ex = Exchange(link, target, clock=clock)
    mt = int(mission_type)
    request = link.mav.mission_clear_all_encode(target.system, target.component, mt)
    for _ in range(retries + 1):
        ex.send(request)
        deadline = clock() + timeout_s
        while (msg := ex.recv_until(deadline)) is not None:
            if msg.get_type() == "MISSION_ACK" and msg.mission_type == mt:
                if msg.type == ACCEPTED:
                    return
                raise MissionResultError(
                    msg.type, mission_type, "MISSION_CLEAR_ALL", operation="clear"
                )
    raise TransferTimeout(
        N_(
            "vehicle never acknowledged clearing its {label} ({retries} retries of "
            "{timeout_s:g} s); check the link",
            label=mission_type.label,
            retries=retries,
            timeout_s=timeout_s,
        )
    )
