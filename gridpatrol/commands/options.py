"""Command-line options that several areas' commands share, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["Crs", "OutputCrs"]

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
