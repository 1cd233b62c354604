"""Which name a district feature shows: ``name_zh`` in Chinese mode, else ``name``."""

from __future__ import annotations

import dataclasses
from typing import Any

from gridpatrol.i18n import language

__all__ = ["localise_district"]


def localise_district(district: Any) -> Any:
    """The district with ``name_zh`` shown in place of ``name`` when the language is Chinese."""
    if language() == "en":
        return district

    def named(feature: Any) -> Any:
        name_zh = getattr(feature, "name_zh", None)
        if name_zh and hasattr(feature, "name"):
            return dataclasses.replace(feature, name=name_zh)
        if name_zh and hasattr(feature, "community"):
            return dataclasses.replace(feature, community=name_zh)
        return feature

    return dataclasses.replace(
        named(district),
        cells=tuple(named(c) for c in district.cells),
        key_areas=tuple(named(a) for a in district.key_areas),
        no_fly=tuple(named(z) for z in district.no_fly),
        launch_sites=tuple(named(s) for s in district.launch_sites),
        privacy_zones=tuple(named(p) for p in district.privacy_zones),
    )
