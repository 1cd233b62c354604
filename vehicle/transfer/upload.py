"""Upload one item list to the vehicle: MISSION_COUNT, answer each request, until MISSION_ACK.

The vehicle drives an upload: it requests items by seq (MISSION_REQUEST_INT, or the legacy
MISSION_REQUEST that ArduPilot still sends) and we answer every request, whatever its order and
however often it repeats, always with MISSION_ITEM_INT. When the vehicle goes quiet we resend
what we sent last (the count, or the last item), ``retries`` times ``timeout_s`` apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pymavlink.dialects.v20 import ardupilotmega as apm

from mission.text import N_, Msg
from vehicle.errors import TransferError
from vehicle.transfer.items import WireItem
from vehicle.transfer.protocol import (
    ACCEPTED,
    INVALID_SEQUENCE,
    NO_SPACE,
    RETRIES,
    TIMEOUT_S,
    VEHICLE,
    Exchange,
    MessageLink,
    MissionResultError,
    MissionType,
    Target,
    TransferTimeout,
    result_name,
)

__all__ = ["upload_items", "AckLost", "Progress", "command_name"]

Progress = Callable[[int, int], None]
_MISSION_ERROR = 1


class AckLost(TransferTimeout):
    """Every item went out but the final MISSION_ACK never came; only a read-back can tell."""


def command_name(command: int) -> str:
    entry = apm.enums["MAV_CMD"].get(int(command))
    return entry.name.removeprefix("MAV_CMD_") if entry is not None else str(command)


def upload_items(
    link: MessageLink,
    items: Sequence[WireItem],
    mission_type: MissionType = MissionType.MISSION,
    *,
    target: Target = VEHICLE,
    progress: Progress | None = None,
    timeout_s: float = TIMEOUT_S,
    retries: int = RETRIES,
    item_limit: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Replace the vehicle's ``mission_type`` store with ``items``; raises ``TransferError``."""
    n = len(items)
    label = mission_type.label
    if item_limit is not None and n > item_limit:
        raise TransferError(
            N_(
                "the {label} needs {n} items but the vehicle holds at most {item_limit}; split "
                "the mission or raise the item limit",
                label=label,
                n=n,
                item_limit=item_limit,
            )
        )
    ex = Exchange(link, target, clock=clock)
    mav = link.mav
    mt = int(mission_type)
    count_msg = mav.mission_count_encode(target.system, target.component, n, mt)
    last_msg = count_msg
    last_seq: int | None = None
    sent: set[int] = set()
    silent = 0
    refusals = 0
    noted = ""
    ex.send(count_msg)
    deadline = clock() + timeout_s
    while True:
        msg = ex.recv_until(deadline)
        if msg is None:
            silent += 1
            if silent > retries:
                raise _silence(label, n, sent, last_seq, timeout_s, retries, noted)
            ex.send(last_msg)
            deadline = clock() + timeout_s
            continue
        kind = msg.get_type()
        if kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST") and msg.mission_type == mt:
            seq = int(msg.seq)
            if not 0 <= seq < n:
                raise TransferError(
                    N_(
                        "vehicle asked for {label} item {seq} of a {n}-item upload; it is confused, "
                        "upload again",
                        label=label,
                        seq=seq,
                        n=n,
                    )
                )
            last_msg = items[seq].encode(mav, target, seq, mission_type)
            last_seq = seq
            ex.send(last_msg)
            if seq not in sent:
                sent.add(seq)
                if progress is not None:
                    progress(len(sent), n)
            silent = 0
            deadline = clock() + timeout_s
        elif kind == "MISSION_ACK" and msg.mission_type == mt:
            code = int(msg.type)
            if code == ACCEPTED:
                if len(sent) == n:
                    return
                if not sent:
                    continue  # a late answer to an earlier transfer
                raise TransferError(
                    N_(
                        "vehicle accepted the {label} after only {n_sent} of {n} items; upload again",
                        label=label,
                        n_sent=len(sent),
                        n=n,
                    )
                )
            if code == INVALID_SEQUENCE and sent:
                # ArduPilot's answer to an item it did not expect; it asks again if it can
                noted = N_(
                    "{result} at {where}",
                    result=result_name(code),
                    where=_item_where(items, last_seq),
                )
                continue
            if code == NO_SPACE and not sent:
                refusals += 1
                limit = ex.reported_limit()
                if (limit is not None and 0 < limit < n) or refusals > retries:
                    raise _no_space(mission_type, n, limit)
                _pause(ex, deadline=clock() + timeout_s)
                ex.send(count_msg)
                deadline = clock() + timeout_s
                continue
            if code == _MISSION_ERROR and len(sent) == n and silent:
                raise AckLost(
                    N_(
                        "the vehicle got all {n} {label} items but its MISSION_ACK was lost; download "
                        "and compare before flying",
                        n=n,
                        label=label,
                    )
                )
            where = "MISSION_COUNT" if last_seq is None else _item_where(items, last_seq)
            raise MissionResultError(code, mission_type, where, earlier=noted)


def _item_where(items: Sequence[WireItem], seq: int) -> Msg:
    return N_("item {seq} ({name})", seq=seq, name=command_name(items[seq].command))


def _pause(ex: Exchange, deadline: float) -> None:
    """Let a vehicle that is still booting settle; its messages meanwhile are stale."""
    while ex.recv_until(deadline) is not None:
        pass


def _no_space(mission_type: MissionType, n: int, limit: int | None) -> MissionResultError:
    label = mission_type.label
    held = N_("at most {limit}", limit=limit) if limit else N_("fewer")
    return MissionResultError(
        NO_SPACE,
        mission_type,
        "MISSION_COUNT",
        N_(
            "the vehicle holds {held} {label} items and this needs {n}; split the mission or "
            "raise the vehicle's storage (ArduPilot: BRD_SD_MISSION)",
            held=held,
            label=label,
            n=n,
        ),
    )


def _silence(
    label: str,
    n: int,
    sent: set[int],
    last_seq: int | None,
    timeout_s: float,
    retries: int,
    noted: str,
) -> TransferTimeout:
    if last_seq is None:
        stage = N_("never asked for an item after MISSION_COUNT")
    elif len(sent) == n:
        stage = N_("never acknowledged the {label} after the last item", label=label)
    else:
        stage = N_(
            "stopped asking after item {seq} ({n_sent} of {n} sent)",
            seq=last_seq,
            n_sent=len(sent),
            n=n,
        )
    if noted:
        stage = N_("{stage}, after answering {noted}", stage=stage, noted=noted)
    return TransferTimeout(
        N_(
            "vehicle {stage} of the {label} upload ({retries} retries of {timeout_s:g} s); "
            "check the link and the target system id, then upload again",
            stage=stage,
            label=label,
            retries=retries,
            timeout_s=timeout_s,
        )
    )
