"""``gridpatrol district``: make, check and show the district file everything else reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import Crs
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]

district_app = typer.Typer(
    help=_("Make, check and show the district file (boundary, grid cells, key areas, zones)."),
    no_args_is_help=True,
    cls=LocalisedGroup,
)


@district_app.command(
    "grid",
    help=_("Split the district into N near-equal cells, numbered row by row from the north-west."),
    cls=LocalisedCommand,
)
def grid(
    boundary: Annotated[Path, typer.Argument(help=_("GeoJSON with the district boundary."))],
    out: Annotated[Path, typer.Option("-o", "--out", help=_("Where to write the gridded file."))],
    cells: Annotated[int, typer.Option("--cells", help=_("Number of grid cells."))] = 60,
    crs: Crs = None,
) -> None:
    from mission.crs import to_wgs84_feature_collection
    from mission.formats.district_geojson import load_district, save_district
    from mission.grid import grid_cells

    district = load_district(boundary, crs=crs)
    polygons = grid_cells(district.boundary, cells)
    # Written in WGS-84 throughout: the new cells are, and a GCJ-02/BD-09 input is converted once.
    source = to_wgs84_feature_collection(
        json.loads(boundary.read_text(encoding="utf-8")), district.crs
    )
    kept = [f for f in source["features"] if (f.get("properties") or {}).get("kind") != "cell"]
    new_cells = []
    for number, poly in enumerate(polygons, start=1):
        shape = district.frame.geom_to_lonlat(poly)  # a cell round a lake keeps it as a hole
        new_cells.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "cell",
                    "id": number,
                    "community": "unassigned",
                    "team": f"team-{number:02d}",
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[round(x, 8), round(y, 8)] for x, y in ring.coords]
                        for ring in (shape.exterior, *shape.interiors)
                    ],
                },
            }
        )
    source["features"] = kept + new_cells
    save_district(source, out)
    load_district(out)
    typer.echo(
        _(
            "wrote {out}: {n_polygons} cells of {area:,.0f} m² each",
            out=out,
            n_polygons=len(polygons),
            area=district.boundary.area / len(polygons),
        )
    )


@district_app.command(
    "check",
    help=_(
        "Validate the district file: one summary line and exit 0, or one error line and exit 2."
    ),
    cls=LocalisedCommand,
)
def check(
    file: Annotated[Path, typer.Argument(help=_("District GeoJSON file."))], crs: Crs = None
) -> None:
    from gridpatrol.locale.names import localise_district
    from mission.crs import source_warning
    from mission.formats.district_geojson import load_district

    district = localise_district(load_district(file, crs=crs))
    warning = source_warning(json.loads(file.read_text(encoding="utf-8")), district.crs)
    if warning:
        typer.echo(_(warning), err=True)
    typer.echo(
        _(
            "ok: {name}: {area:.2f} km², {n_cells} cells, {n_key_areas} key areas, "
            "{n_no_fly} no-fly zones, {n_launch_sites} launch sites, {n_privacy_zones} "
            "privacy zones (coordinates: {crs})",
            name=district.name,
            area=district.boundary.area / 1e6,
            n_cells=len(district.cells),
            n_key_areas=len(district.key_areas),
            n_no_fly=len(district.no_fly),
            n_launch_sites=len(district.launch_sites),
            n_privacy_zones=len(district.privacy_zones),
            crs=district.crs,
        )
    )


@district_app.command(
    "show",
    help=_(
        "Print tables of cells, key areas, no-fly zones and launch sites; optionally draw a map."
    ),
    cls=LocalisedCommand,
)
def show(
    file: Annotated[Path, typer.Argument(help=_("District GeoJSON file."))],
    png: Annotated[
        Path | None, typer.Option("--png", help=_("Also draw a map picture here."))
    ] = None,
    crs: Crs = None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from gridpatrol.locale.names import localise_district
    from gridpatrol.locale.pictures import picture_district, pictures
    from mission.formats.district_geojson import load_district

    loaded = load_district(file, crs=crs)
    district = localise_district(loaded)
    console = Console()

    cells = Table(
        title=_("{name}: {n_cells} cells", name=district.name, n_cells=len(district.cells))
    )
    for col in (N_("cell"), N_("community"), N_("team"), N_("area m²")):
        cells.add_column(_(col), justify="right" if col in ("cell", "area m²") else "left")
    for c in district.cells:
        cells.add_row(str(c.id), c.community, c.team, f"{c.shape.area:,.0f}")
    console.print(cells)

    areas = Table(title=_("key areas"))
    for col in (N_("id"), N_("name"), N_("priority"), N_("revisit min"), N_("pattern")):
        areas.add_column(_(col))
    areas.add_column(_("area m²"))
    for a in district.key_areas:
        areas.add_row(
            a.id,
            a.name,
            str(a.priority),
            f"{a.revisit_minutes:g}",
            a.pattern,
            f"{a.shape.area:,.0f}",
        )
    console.print(areas)

    zones = Table(title=_("no-fly zones, privacy zones and launch sites"))
    for col in (N_("kind"), N_("id"), N_("name"), N_("area m² / note")):
        zones.add_column(_(col))
    for z in district.no_fly:
        zones.add_row("no-fly", z.id, z.name, f"{z.shape.area:,.0f} ({z.reason})")
    for p in district.privacy_zones:
        zones.add_row("privacy", p.id, p.name, f"{p.shape.area:,.0f}")
    for s in district.launch_sites:
        lon, lat = district.frame.to_lonlat(s.position.x, s.position.y)
        zones.add_row("launch site", s.id, s.name, f"{lat:.6f}, {lon:.6f}")
    console.print(zones)

    if png is not None:
        from mission.formats.map_picture import render_district

        with pictures() as tr:
            render_district(picture_district(loaded), png, tr=tr)
        console.print(_("map written to {png}", png=png))


def register(app: typer.Typer) -> None:
    app.add_typer(district_app, name="district")
