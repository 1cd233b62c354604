"""``gridpatrol sitl start|stop``: ArduPilot SITL at a launch site, to rehearse a sortie on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import Crs
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]

sitl_app = typer.Typer(
    help=_("Run ArduPilot SITL at a district launch site, for rehearsals."),
    no_args_is_help=True,
    cls=LocalisedGroup,
)


@sitl_app.command(
    "start",
    help=_("Start SITL at a launch site and wait until it can arm; it keeps running."),
    cls=LocalisedCommand,
)
def sitl_start(
    district: Annotated[Path, typer.Option("--district", help=_("District file."))],
    site: Annotated[str, typer.Option("--site", help=_("Launch site id to boot at."))],
    speedup: Annotated[float, typer.Option("--speedup", help=_("Simulation speed-up."))] = 1.0,
    instance: Annotated[
        int, typer.Option("--instance", help=_("Instance number; picks the UDP port."))
    ] = 0,
    sitl_binary: Annotated[
        Path | None, typer.Option("--sitl-binary", help=_("arducopter binary (or ARDUPILOT_SITL)."))
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", help=_("Seconds to wait until armable."))
    ] = 120.0,
    crs: Crs = None,
) -> None:
    from mission.formats.district_geojson import load_district
    from sim.errors import SimError
    from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site, state_dir

    binary = find_sitl(sitl_binary)
    if binary is None:
        raise SimError(MISSING_SITL)
    if (state_dir(instance) / "state.json").is_file():
        raise SimError(
            N_(
                "SITL instance {instance} is already recorded as running; run 'gridpatrol sitl "
                "stop --instance {instance}' or pick another --instance",
                instance=instance,
            )
        )
    home = home_at_site(load_district(district, crs=crs), site)
    sitl = Sitl(binary, home, instance=instance, speedup=speedup).start()
    try:
        sitl.wait_ready(ready_timeout)
    except BaseException:
        sitl.stop()
        raise
    sitl.save_state()
    typer.echo(
        _(
            "SITL instance {instance} ready at {lat:.6f},{lon:.6f}",
            instance=instance,
            lat=home.lat,
            lon=home.lon,
        )
    )
    typer.echo(
        _("connect with --connect {url}; logs in {logdir}", url=sitl.url, logdir=sitl.logdir)
    )


@sitl_app.command(
    "stop",
    help=_("Stop the SITL instance that 'gridpatrol sitl start' launched."),
    cls=LocalisedCommand,
)
def sitl_stop(
    instance: Annotated[int, typer.Option("--instance", help=_("Instance number to stop."))] = 0,
) -> None:
    from sim.sitl import stop_instance

    logdir = stop_instance(instance)
    typer.echo(
        _("stopped SITL instance {instance}; logs in {logdir}", instance=instance, logdir=logdir)
    )


def register(app: typer.Typer) -> None:
    """Add the sitl group to the CLI."""
    app.add_typer(sitl_app, name="sitl")
