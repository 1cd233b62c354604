"""Command-line options that several areas' commands share, defined once.

The same name and unit on every command: ``--ceiling`` in metres (``--ceiling-m`` is accepted
too), ``--reserve`` as 0.2 or 20 (%). Their defaults are ``mission.limits``.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "Crs",
    "OutputCrs",
    "Alt",
    "Ceiling",
    "Margin",
    "Endurance",
    "Reserve",
    "Cruise",
    "Swap",
    "Climb",
    "Descent",
    "ItemLimit",
]

Alt = Annotated[float, typer.Option("--alt", help="Altitude above the launch site, m.")]
Ceiling = Annotated[
    float, typer.Option("--ceiling", "--ceiling-m", help="Altitude ceiling above ground, m.")
]
Margin = Annotated[float, typer.Option("--margin", help="Clearance kept from no-fly zones, m.")]
Endurance = Annotated[float, typer.Option("--endurance-min", help="Battery endurance, minutes.")]
Reserve = Annotated[float, typer.Option("--reserve", help="Battery reserve kept: 0.2 or 20 (%).")]
Cruise = Annotated[float, typer.Option("--cruise", help="Cruise speed, m/s.")]
Swap = Annotated[float, typer.Option("--swap-min", help="Battery swap time, minutes.")]
Climb = Annotated[float, typer.Option("--climb", help="Climb rate, m/s.")]
Descent = Annotated[float, typer.Option("--descent", help="Descent rate, m/s.")]
ItemLimit = Annotated[int, typer.Option("--item-limit", help="Vehicle mission item limit.")]

Crs = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="Coordinate system of the district file: wgs84, gcj02 or bd09 (overrides its 'crs').",
    ),
]

OutputCrs = Annotated[
    str,
    typer.Option(
        "--output-crs",
        help="Coordinates of .geojson output: wgs84, or gcj02/bd09 for Chinese map apps only.",
    ),
]
