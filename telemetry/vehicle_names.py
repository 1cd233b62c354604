"""How vehicles are named on the MQTT topics: the one rule, documented once."""

from __future__ import annotations

__all__ = ["vehicle_id"]


def vehicle_id(sysid: int, link_label: str | None = None, owner: int | None = None) -> str:
    """The one naming rule for vehicles, so an operator reads them at a glance.

    - An unnamed link: ``sys<sysid>`` (system ids are unique in a fleet, as MAVLink needs).
    - A named link (``--mavlink NAME=URL``): ``NAME``, the operator's own name, for the first
      vehicle heard on it (``owner``); any other system id on the same link is ``NAME-<sysid>``.
    """
    if not link_label:
        return f"sys{sysid}"
    return link_label if owner in (None, sysid) else f"{link_label}-{sysid}"
