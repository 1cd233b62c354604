"""``gridpatrol plan``: coverage sweeps, randomised patrols, safety checks and file conversion."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import (
    Alt,
    Ceiling,
    Climb,
    Crs,
    Cruise,
    Descent,
    Endurance,
    ItemLimit,
    Margin,
    OutputCrs,
    Reserve,
    Swap,
)
from gridpatrol.i18n import _
from mission.limits import (
    CEILING_M,
    CLIMB_MPS,
    CRUISE_MPS,
    DESCENT_MPS,
    ENDURANCE_MIN,
    ITEM_LIMIT,
    NO_FLY_MARGIN_M,
    PATROL_ALT_M,
    RESERVE,
    SWAP_MIN,
    reserve_fraction,
)
from mission.text import N_

__all__ = ["register", "flight_model_option"]

plan_app = typer.Typer(
    help=_("Plan sweeps and patrols, check missions, convert .plan/.waypoints/GeoJSON."),
    no_args_is_help=True,
    cls=LocalisedGroup,
)

DistrictArg = Annotated[Path, typer.Argument(help=_("District GeoJSON file."))]


def flight_model_option(
    endurance: float,
    reserve: float,
    cruise: float,
    climb: float,
    descent: float,
    swap: float = 5.0,
):
    from mission.errors import PlanError
    from mission.flight_model import FlightModel

    reserve = reserve_fraction(reserve)  # "--reserve 20" means 20 %
    # Upper bounds are ArduCopter's (WPNAV_SPEED 20 m/s, WPNAV_SPEED_UP 10 m/s) and what a pack
    # can be: an infinite endurance or a 1e6 m/s cruise planned sorties no battery can fly.
    if not (
        0 < endurance <= 300
        and 0 < cruise <= 20
        and 0 < climb <= 10
        and 0 < descent <= 10
        and 0 <= reserve < 1
        and 0 <= swap <= 240
    ):
        raise PlanError(
            N_(
                "--endurance-min must be in (0, 300], --cruise in (0, 20] m/s, --climb and "
                "--descent in (0, 10] m/s, --reserve in [0, 1) and --swap-min in [0, 240]"
            )
        )
    return FlightModel(
        endurance_min=endurance,
        reserve=reserve,
        cruise_mps=cruise,
        climb_mps=climb,
        descent_mps=descent,
        swap_min=swap,
    )


def _numbered(out: Path, k: int, n: int) -> Path:
    return out if n == 1 else out.with_name(f"{out.stem}-{k}{out.suffix}")


@plan_app.command(
    "sweep",
    help=_("Plan a lawnmower sweep over an area, split into sorties that each fit one battery."),
    cls=LocalisedCommand,
)
def sweep(
    district_file: DistrictArg,
    area: Annotated[str, typer.Option("--area", help=_("Key area id, cells:1-5, or district."))],
    out: Annotated[Path, typer.Option("-o", "--out", help=_("Output .plan/.waypoints/.geojson."))],
    png: Annotated[
        Path | None, typer.Option("--png", help=_("Also draw the path on the map."))
    ] = None,
    spacing: Annotated[
        float | None, typer.Option(help=_("Line spacing, m (else from camera)."))
    ] = None,
    angle: Annotated[
        float | None, typer.Option(help=_("Sweep bearing, degrees from north."))
    ] = None,
    alt: Alt = PATROL_ALT_M,
    ceiling: Ceiling = CEILING_M,
    margin: Margin = NO_FLY_MARGIN_M,
    side_overlap: Annotated[float, typer.Option(help=_("Side overlap of images, 0-1."))] = 0.70,
    front_overlap: Annotated[float, typer.Option(help=_("Front overlap of images, 0-1."))] = 0.80,
    sensor_w: Annotated[float, typer.Option(help=_("Sensor width, mm."))] = 13.2,
    sensor_h: Annotated[float, typer.Option(help=_("Sensor height, mm."))] = 8.8,
    focal: Annotated[float, typer.Option(help=_("Focal length, mm."))] = 8.8,
    image_w: Annotated[int, typer.Option(help=_("Image width, px."))] = 5472,
    image_h: Annotated[int, typer.Option(help=_("Image height, px."))] = 3648,
    launch: Annotated[
        str | None, typer.Option(help=_("Launch site id (default: nearest)."))
    ] = None,
    endurance_min: Endurance = ENDURANCE_MIN,
    reserve: Reserve = RESERVE,
    cruise: Cruise = CRUISE_MPS,
    climb: Climb = CLIMB_MPS,
    descent: Descent = DESCENT_MPS,
    item_limit: ItemLimit = ITEM_LIMIT,
    crs: Crs = None,
    output_crs: OutputCrs = "wgs84",
) -> None:
    from mission.checks import require_safe
    from mission.coverage.camera import Camera
    from mission.coverage.survey import SweepSettings, plan_sweep
    from mission.formats import write_mission
    from mission.formats.district_geojson import load_district

    district = load_district(district_file, crs=crs)
    fm = flight_model_option(endurance_min, reserve, cruise, climb, descent)
    cfg = SweepSettings(
        alt_m=alt,
        ceiling_m=ceiling,
        margin_m=margin,
        spacing_m=spacing,
        angle_deg=angle,
        camera=Camera(sensor_w, sensor_h, focal, image_w, image_h),
        side_overlap=side_overlap,
        front_overlap=front_overlap,
        launch_site=launch,
        item_limit=item_limit,
        flight_model=fm,
    )
    plan = plan_sweep(district, area, cfg)
    n = len(plan.missions)
    for k, mission in enumerate(plan.missions, start=1):
        require_safe(
            mission,
            district,
            ceiling_m=ceiling,
            margin_m=margin,
            flight_model=fm,
            item_limit=item_limit,
        )
        write_mission(mission, _numbered(out, k, n), district, output_crs)
    if png is not None:
        from gridpatrol.locale.pictures import picture_district, pictures
        from mission.formats.plan_picture import write_plan_picture

        with pictures() as tr:
            shown = picture_district(district)
            title = tr(N_("sweep: {label}", label=plan.label))
            write_plan_picture(list(plan.missions), png, shown, title=title, tr=tr)
    p = plan.path
    typer.echo(
        _(
            "wrote {n} sortie{plural} to {out}{more}: {lines} lines {spacing_m:.1f} m apart "
            "at bearing {angle_deg:.0f}°, {length_m:.2f} km, camera every {trigger_m:.1f} m",
            n=n,
            plural="s" if n != 1 else "",
            out=out if n == 1 else _numbered(out, 1, n),
            more=" ..." if n > 1 else "",
            lines=p.lines,
            spacing_m=p.spacing_m,
            angle_deg=p.angle_deg,
            length_m=p.length_m / 1000,
            trigger_m=plan.trigger_m,
        )
    )


@plan_app.command(
    "patrol",
    help=_(
        "Plan irregular patrols over the key areas: schedule.json, one .plan per sortie, timeline."
    ),
    cls=LocalisedCommand,
)
def patrol(
    district_file: DistrictArg,
    out: Annotated[
        Path, typer.Option("-o", "--out", help=_("Folder for schedule.json and plans."))
    ],
    hours: Annotated[float, typer.Option(help=_("Length of the patrol horizon, hours."))] = 24.0,
    drones: Annotated[int, typer.Option(help=_("Number of drones."))] = 2,
    seed: Annotated[
        int | None, typer.Option(help=_("Seed for reproducible output (else OS)."))
    ] = None,
    start: Annotated[
        datetime | None, typer.Option(help=_("Horizon start, ISO time (default: next full hour)."))
    ] = None,
    alt: Alt = PATROL_ALT_M,
    ceiling: Ceiling = CEILING_M,
    margin: Margin = NO_FLY_MARGIN_M,
    endurance_min: Endurance = ENDURANCE_MIN,
    reserve: Reserve = RESERVE,
    cruise: Cruise = CRUISE_MPS,
    climb: Climb = CLIMB_MPS,
    descent: Descent = DESCENT_MPS,
    swap_min: Swap = SWAP_MIN,
    crs: Crs = None,
) -> None:
    from gridpatrol.locale.pictures import pictures
    from mission.formats.district_geojson import load_district
    from mission.formats.timeline import write_timeline
    from mission.patrol.service import plan_patrol, require_start, write_patrol

    district = load_district(district_file, crs=crs)
    fm = flight_model_option(endurance_min, reserve, cruise, climb, descent, swap_min)
    if start is None:
        now = datetime.now(UTC).astimezone()
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        require_start(start)
        start = start if start.tzinfo is not None else start.astimezone()
    plan = plan_patrol(
        district, hours=hours, drones=drones, start=start, flight_model=fm, alt_m=alt,
        ceiling_m=ceiling, margin_m=margin, seed=seed,
    )  # fmt: skip
    write_patrol(plan, out)
    with pictures() as tr:
        write_timeline(plan.schedule, out / "timeline.png", tr=tr)
    echo_area_table(plan.schedule, typer.echo)
    typer.echo(
        _(
            "wrote {out}, {n_sorties} sortie plans and {timeline}",
            out=out / "schedule.json",
            n_sorties=len(plan.schedule.sorties),
            timeline=out / "timeline.png",
        )
    )


def echo_area_table(schedule, echo: Callable[[str], None]) -> None:
    """Print the per-area summary a planner reads after ``plan patrol`` (the demo prints it too)."""
    from mission.schedule import area_stats

    echo(f"{'area':<16}{'limit':>7}{'visits':>8}{'worst':>8}{'mean':>8}{'entropy':>9}")
    for a in area_stats(schedule):
        # One visit in the horizon has no gap between visits to average.
        mean = f"{'-':>8}" if math.isnan(a.mean_min) else f"{a.mean_min:>7.1f}m"
        echo(
            _(
                "{area:<16}{limit_min:>6.0f}m{visits:>8}{worst_min:>7.1f}m{mean}{entropy_bits:>7.2f} "
                "b",
                area=a.area,
                limit_min=a.limit_min,
                visits=a.visits,
                worst_min=a.worst_min,
                mean=mean,
                entropy_bits=a.entropy_bits,
            )
        )


@plan_app.command(
    "check",
    help=_(
        "Run every safety check (geofence, no-fly zones, ceiling, endurance with "
        "reserve, item\ncount; for a schedule or FILE@START missions, each sortie and "
        "their separation): one line\nper violation and exit 2, or one OK line."
    ),
    cls=LocalisedCommand,
)
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=_(
                "Mission file (.plan, .waypoints, .geojson); or a schedule.json, or several "
                "FILE@START missions flown together: then every sortie gets every check and the "
                "sorties are checked for separation."
            )
        ),
    ],
    district_file: Annotated[Path, typer.Option("--district", help=_("District GeoJSON file."))],
    ceiling: Ceiling = CEILING_M,
    margin: Margin = NO_FLY_MARGIN_M,
    endurance_min: Endurance = ENDURANCE_MIN,
    reserve: Reserve = RESERVE,
    cruise: Cruise = CRUISE_MPS,
    climb: Climb = CLIMB_MPS,
    descent: Descent = DESCENT_MPS,
    item_limit: ItemLimit = ITEM_LIMIT,
    crs: Crs = None,
) -> None:
    from mission.checks import check_mission, check_sorties, summary
    from mission.formats import read_mission
    from mission.formats.district_geojson import load_district

    district = load_district(district_file, crs=crs)
    fm = flight_model_option(endurance_min, reserve, cruise, climb, descent)
    limits = dict(ceiling_m=ceiling, margin_m=margin, flight_model=fm, item_limit=item_limit)
    if len(files) > 1 or files[0].suffix.lower() == ".json" or "@" in files[0].name:
        from gridpatrol.commands.fleet_files import check_files  # loss of separation (issue 7)

        conflicts = check_files(files, speeds=fm, district=district)
        failures = check_sorties(files, district, **limits) + conflicts
        for line in failures:
            typer.echo(_(line))
        if failures:
            raise typer.Exit(2)
        typer.echo(
            _(
                "separated: no two sorties closer than 30 m and 10 m at once ({n_files} "
                "file{plural})",
                n_files=len(files),
                plural="s" if len(files) > 1 else "",
            )
        )
        return
    file = files[0]
    mission = read_mission(file)
    violations = check_mission(mission, district, **limits)
    for line in violations:
        typer.echo(_("{file}: {line}", file=file.name, line=line))
    if violations:
        raise typer.Exit(2)
    typer.echo(_("{file}: {line}", file=file.name, line=summary(mission, fm)))


@plan_app.command(
    "convert",
    help=_("Convert a mission between formats; every item is kept (.waypoints drops fence/rally)."),
    cls=LocalisedCommand,
)
def convert(
    src: Annotated[Path, typer.Argument(help=_("Input .plan, .waypoints/.txt or .geojson."))],
    dst: Annotated[Path, typer.Argument(help=_("Output .plan, .waypoints, .geojson or .png."))],
    district_file: Annotated[
        Path | None, typer.Option("--district", help=_("District map under a .png picture."))
    ] = None,
    crs: Crs = None,
    output_crs: OutputCrs = "wgs84",
) -> None:
    from gridpatrol.locale.pictures import picture_district, pictures
    from mission.formats import read_mission, write_mission

    district = None
    if district_file is not None:
        from mission.formats.district_geojson import load_district

        district = load_district(district_file, crs=crs)
    mission = read_mission(src)
    with pictures():
        shown = picture_district(district) if district is not None else None
        write_mission(mission, dst, shown, output_crs)
    note = ""
    if dst.suffix.lower() in (".waypoints", ".txt") and (mission.fence.polygons or mission.rally):
        note = N_(" (the .waypoints format has no fence or rally points; they were not written)")
    typer.echo(
        _("wrote {dst}: {n_items} items{note}", dst=dst, n_items=len(mission.items), note=note)
    )


def register(app: typer.Typer) -> None:
    """Add the ``plan`` group to the CLI."""
    app.add_typer(plan_app, name="plan")
