"""``gridpatrol district``: make, check and show the district file everything else reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.options import Crs

__all__ = ["register"]

district_app = typer.Typer(
    help="Make, check and show the district file (boundary, grid cells, key areas, zones).",
    no_args_is_help=True,
)


@district_app.command("grid")
def grid(
    boundary: Annotated[Path, typer.Argument(help="GeoJSON with the district boundary.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the gridded file.")],
    cells: Annotated[int, typer.Option("--cells", help="Number of grid cells.")] = 60,
    crs: Crs = None,
) -> None:
    """Split the district into N near-equal cells, numbered row by row from the north-west."""
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
        f"wrote {out}: {len(polygons)} cells of {district.boundary.area / len(polygons):,.0f} m² each"
    )


@district_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="District GeoJSON file.")], crs: Crs = None
) -> None:
    """Validate the district file: one summary line and exit 0, or one error line and exit 2."""
    from gridpatrol.i18n import localise_district
    from mission.crs import source_warning
    from mission.formats.district_geojson import load_district

    district = localise_district(load_district(file, crs=crs))
    warning = source_warning(json.loads(file.read_text(encoding="utf-8")), district.crs)
    if warning:
        typer.echo(warning, err=True)
    typer.echo(
        f"ok: {district.name}: {district.boundary.area / 1e6:.2f} km², {len(district.cells)} cells, "
        f"{len(district.key_areas)} key areas, {len(district.no_fly)} no-fly zones, "
        f"{len(district.launch_sites)} launch sites, {len(district.privacy_zones)} privacy zones "
        f"(coordinates: {district.crs})"
    )


@district_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="District GeoJSON file.")],
    png: Annotated[Path | None, typer.Option("--png", help="Also draw a map picture here.")] = None,
    crs: Crs = None,
) -> None:
    """Print tables of cells, key areas, no-fly zones and launch sites; optionally draw a map."""
    from rich.console import Console
    from rich.table import Table

    from gridpatrol.i18n import localise_district, picture_district, pictures
    from mission.formats.district_geojson import load_district

    loaded = load_district(file, crs=crs)
    district = localise_district(loaded)
    console = Console()

    cells = Table(title=f"{district.name}: {len(district.cells)} cells")
    for col in ("cell", "community", "team", "area m²"):
        cells.add_column(col, justify="right" if col in ("cell", "area m²") else "left")
    for c in district.cells:
        cells.add_row(str(c.id), c.community, c.team, f"{c.shape.area:,.0f}")
    console.print(cells)

    areas = Table(title="key areas")
    for col in ("id", "name", "priority", "revisit min", "pattern", "area m²"):
        areas.add_column(col)
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

    zones = Table(title="no-fly zones, privacy zones and launch sites")
    for col in ("kind", "id", "name", "area m² / note"):
        zones.add_column(col)
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

        with pictures():
            render_district(picture_district(loaded), png)
        console.print(f"map written to {png}")


def register(app: typer.Typer) -> None:
    app.add_typer(district_app, name="district")
