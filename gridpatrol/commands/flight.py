"""``gridpatrol upload|download|fly`` and ``gridpatrol sitl start|stop``: the operator at the drone.

Wiring only: files and district in, ``vehicle.link.open_link`` for the connection,
``mission.checks`` before anything is sent, ``vehicle.transfer`` for the protocol, ``sim.sitl``
for the simulator. Heavy imports happen inside the commands so ``gridpatrol --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpatrol.commands.help import LocalisedCommand
from gridpatrol.commands.options import (
    BatteryCells,
    BatteryMah,
    Ceiling,
    ConsumptionFrom,
    ConsumptionRate,
    Crs,
    FlightTimeout,
    GcsTimeout,
    ItemLimit,
    ReadyTimeout,
    Reserve,
    SigningKey,
    TargetSystem,
    Timeout,
)
from gridpatrol.i18n import _
from mission.limits import CEILING_M, GCS_TIMEOUT_S, ITEM_LIMIT, RESERVE, reserve_fraction
from mission.text import N_

__all__ = ["register", "district_option", "sortie_plan_option"]


Connect = Annotated[
    str,
    typer.Option(
        "--connect",
        help=_("MAVLink connection: tcp:HOST:PORT, udpin:0.0.0.0:14550 or /dev/ttyUSB0,57600."),
    ),
]
DistrictOption = Annotated[
    Path | None, typer.Option("--district", help=_("District file the checks use."))
]


@contextlib.contextmanager
def _vehicle(
    url: str, signing_key: Path | None, timeout: float, target_system: int = 1
) -> Iterator[tuple[Any, Any]]:
    """An open link and the vehicle found on it; with a key, the key is given to the vehicle.

    The link is signed from the first message, so a vehicle that already has the key accepts
    the SETUP_SIGNING, and one without a key accepts it as well (it checks no signatures yet);
    from then on unsigned messages from the vehicle are refused by the link.
    """
    from vehicle.commands import find_vehicle, sign_vehicle
    from vehicle.link import open_link, read_signing_key
    from vehicle.transfer import Target

    key = read_signing_key(signing_key) if signing_key is not None else None
    link = open_link(url, signing_key=key)
    try:
        if key is not None:
            yield link, sign_vehicle(link, key, Target(target_system, 1), timeout)
        else:
            yield link, find_vehicle(link, timeout)
    finally:
        link.close()


def sortie_plan_option(
    consumption_mah_per_min: float | None,
    consumption_from: Path | None,
    ceiling_m: float,
    reserve: float,
    gcs_timeout_s: float,
    battery_mah: float | None,
    battery_cells: int,
    landing_tolerance_m: float = 20.0,
) -> Any:
    """What the sortie's checks derive from: ``upload`` sets the parameters, ``fly`` re-checks."""
    from vehicle.endurance import EnduranceError, declared_consumption, learn_consumption
    from vehicle.sortie_flight import SortiePlan

    if consumption_mah_per_min is not None and consumption_from is not None:
        raise EnduranceError(
            N_("give either --consumption-mah-per-min or --consumption-from, not both")
        )
    consumption = None
    if consumption_mah_per_min is not None:
        consumption = declared_consumption(consumption_mah_per_min)
    elif consumption_from is not None:
        consumption = learn_consumption(consumption_from)
    return SortiePlan(
        consumption=consumption,
        reserve=reserve_fraction(reserve),
        ceiling_m=ceiling_m,
        gcs_timeout_s=gcs_timeout_s,
        battery_mah=battery_mah,
        battery_cells=battery_cells,
        landing_tolerance_m=landing_tolerance_m,
    )


def district_option(path: Path | None, crs: str | None) -> Any:
    from mission.errors import CheckError

    chosen = path or (
        Path(os.environ["GRIDPATROL_DISTRICT"]) if os.environ.get("GRIDPATROL_DISTRICT") else None
    )
    if chosen is None:
        raise CheckError(
            [N_("this command needs --district FILE (or GRIDPATROL_DISTRICT) to check the mission")]
        )
    from mission.formats.district_geojson import load_district

    return load_district(chosen, crs=crs)


def upload(
    mission_file: Annotated[Path, typer.Argument(help=_("Mission file (.plan, .waypoints)."))],
    connect: Connect,
    district: DistrictOption = None,
    ceiling_m: Ceiling = CEILING_M,
    item_limit: ItemLimit = ITEM_LIMIT,
    reserve: Reserve = RESERVE,
    gcs_timeout_s: GcsTimeout = GCS_TIMEOUT_S,
    battery_mah: BatteryMah = None,
    battery_cells: BatteryCells = 3,
    consumption_mah_per_min: ConsumptionRate = None,
    consumption_from: ConsumptionFrom = None,
    signing_key: SigningKey = None,
    timeout: Timeout = 30.0,
    target_system: TargetSystem = 1,
    crs: Crs = None,
) -> None:
    from rich.progress import Progress

    from mission.checks import require_safe
    from mission.formats import read_mission
    from vehicle.params import format_rows
    from vehicle.sortie_upload import upload_sortie

    mission = read_mission(mission_file)
    district_shapes = district_option(district, crs)
    require_safe(mission, district_shapes, ceiling_m=ceiling_m, item_limit=item_limit)
    plan = sortie_plan_option(consumption_mah_per_min, consumption_from, ceiling_m, reserve,
                        gcs_timeout_s, battery_mah, battery_cells)  # fmt: skip

    def show(checked: Any) -> None:
        typer.echo(_("endurance ok: {line}", line=checked.budget.line()))
        if checked.restarted:
            typer.echo(_("restarted the vehicle: the autopilot reads {names} only at boot",
                         names=", ".join(checked.restarted)))  # fmt: skip
        typer.echo(format_rows(checked.rows))

    with (
        _vehicle(connect, signing_key, timeout, target_system) as (link, target),
        contextlib.ExitStack() as shown,
    ):
        tasks: dict[Any, Any] = {}
        bars: list[Any] = []

        def progress(mission_type: Any, done: int, total: int) -> None:
            if not bars:  # the bar opens with the transfer, after the preflight lines
                bars.append(shown.enter_context(Progress(transient=True)))
            if mission_type not in tasks:
                tasks[mission_type] = bars[0].add_task(
                    _("upload {label}", label=mission_type.label), total=total
                )
            bars[0].update(tasks[mission_type], completed=done)

        uploaded = upload_sortie(link, target, mission, district_shapes, plan,
                                 item_limit=item_limit, checked=show, progress=progress)  # fmt: skip
        digest = uploaded.digest
    n_fence = sum(len(p.vertices) for p in mission.fence.polygons) + len(mission.fence.circles)
    typer.echo(
        _(
            "uploaded and verified {n_items} items, {n_fence} fence items, {n_rally} rally points",
            n_items=len(mission.items),
            n_fence=n_fence,
            n_rally=len(mission.rally),
        )
    )
    typer.echo(_("manifest sha256 {digest}", digest=digest))


def download(
    connect: Connect,
    out: Annotated[
        Path, typer.Option("-o", "--out", help=_("Where to write (.plan, .waypoints)."))
    ],
    signing_key: SigningKey = None,
    timeout: Timeout = 30.0,
    target_system: TargetSystem = 1,
) -> None:
    from mission.formats import write_mission
    from vehicle.transfer import download_mission

    with _vehicle(connect, signing_key, timeout, target_system) as (link, target):
        mission, digest = download_mission(link, target=target, window=4)
    write_mission(mission, out)
    typer.echo(_("downloaded {n_items} items to {out}", n_items=len(mission.items), out=out))
    typer.echo(_("manifest sha256 {digest}", digest=digest))


def fly(
    connect: Connect,
    yes: Annotated[bool, typer.Option("--yes", help=_("Do not ask for confirmation."))] = False,
    alt_m: Annotated[
        float, typer.Option("--alt-m", help=_("Take-off altitude if the mission has no take-off."))
    ] = 20.0,
    ready_timeout: ReadyTimeout = 90.0,
    flight_timeout: FlightTimeout = 3600.0,
    landing_tolerance_m: Annotated[
        float,
        typer.Option(
            "--landing-tolerance-m", help=_("A landing farther from every launch site is reported.")
        ),
    ] = 20.0,
    district: DistrictOption = None,
    ceiling_m: Ceiling = CEILING_M,
    reserve: Reserve = RESERVE,
    gcs_timeout_s: GcsTimeout = GCS_TIMEOUT_S,
    battery_mah: BatteryMah = None,
    battery_cells: BatteryCells = 3,
    consumption_mah_per_min: ConsumptionRate = None,
    consumption_from: ConsumptionFrom = None,
    signing_key: SigningKey = None,
    timeout: Timeout = 30.0,
    target_system: TargetSystem = 1,
    crs: Crs = None,
) -> None:
    from vehicle.errors import TransferError
    from vehicle.params import format_rows, require_confirmed
    from vehicle.sortie_flight import fly_sortie, preflight, require_completed, takeoff_alt
    from vehicle.transfer import download_mission

    district_shapes = district_option(district, crs)
    plan = sortie_plan_option(consumption_mah_per_min, consumption_from, ceiling_m, reserve,
                        gcs_timeout_s, battery_mah, battery_cells, landing_tolerance_m)  # fmt: skip
    with _vehicle(connect, signing_key, timeout, target_system) as (link, target):
        mission, digest = download_mission(link, target=target, window=4)
        if not mission.items:
            raise TransferError(N_("the vehicle holds no mission; upload one first"))
        typer.echo(
            _(
                "vehicle {system} holds {n_items} items, manifest {digest}",
                system=target.system,
                n_items=len(mission.items),
                digest=digest,
            )
        )
        # The last look before arming: the pack now, and parameters changed since the upload.
        checked = preflight(link, target, mission, district_shapes, plan, write=False)
        typer.echo(_("endurance ok: {line}", line=checked.budget.line()))
        typer.echo(format_rows(checked.rows))
        require_confirmed(checked.rows)
        if not yes and not typer.confirm("Arm, take off and fly this mission?", default=False):
            typer.echo(_("not flying"))
            raise typer.Exit(1)
        verdict = fly_sortie(
            link,
            target,
            mission,
            plan,
            takeoff_alt_m=takeoff_alt(mission, alt_m),
            ready_timeout_s=ready_timeout,
            flight_timeout_s=flight_timeout,
            report=lambda event: _say(event, len(mission.items)),
        )
    require_completed(verdict)
    typer.echo(_("sortie completed: every item reached, landed at a launch site"))


def _say(event: Any, total: int) -> None:
    if event.kind == "started":
        typer.echo(_("mission started"))
    elif event.kind == "interrupted":
        typer.echo(_("interrupted: RTL commanded; following the return (Ctrl-C again to leave)"))
    elif event.kind == "reached":
        typer.echo(_("reached item {seq}/{total}", seq=event.seq, total=total))
    elif event.kind == "mode":
        typer.echo(_("mode {text}", text=event.text))
    elif event.kind == "text":
        typer.echo(_("vehicle: {text}", text=event.text))
    elif event.kind == "ground":
        typer.echo(_("ground station: {text}", text=event.text))
    elif event.kind == "landed":
        typer.echo(_("landed and disarmed"))


def register(app: typer.Typer) -> None:
    """Add upload, download and fly to the CLI."""
    app.command(
        "upload",
        help=_(
            "Check a mission and the pack, set its safety parameters, upload it with fence "
            "and rally\npoints, verify."
        ),
        cls=LocalisedCommand,
    )(upload)
    app.command(
        "download",
        help=_("Read the vehicle's mission, fence and rally points into a mission file."),
        cls=LocalisedCommand,
    )(download)
    app.command(
        "fly",
        help=_(
            "Check the pack and the safety parameters, arm, take off and fly the mission; "
            "Ctrl-C = RTL.\n\nExits non-zero when the sortie ends otherwise than planned: a "
            "failsafe, a mode change not\ncommanded here, the last item never reached, or a "
            "landing away from every launch site."
        ),
        cls=LocalisedCommand,
    )(fly)
