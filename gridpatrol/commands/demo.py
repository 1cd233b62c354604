"""``gridpatrol demo``: plan, fly, bridge, flag and report one patrol on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand
from gridpatrol.commands.options import (
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    OptionalMqttUrl,
    mqtt_settings,
)
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]


def demo(
    out: Annotated[
        Path, typer.Option("--out", help=_("Folder for the plan, evidence and report.html."))
    ] = Path("demo-out"),
    seed: Annotated[
        int | None, typer.Option("--seed", help=_("Seed for the plan and the footage (else OS)."))
    ] = None,
    no_dashboard: Annotated[
        bool, typer.Option("--no-dashboard", help=_("Print progress lines instead of a dashboard."))
    ] = False,
    mqtt: OptionalMqttUrl = None,
    broker: Annotated[
        str,
        typer.Option(
            "--broker",
            help=_("Broker to start: auto (mosquitto if installed), mosquitto, embedded."),
        ),
    ] = "auto",
    speed: Annotated[
        float, typer.Option("--speed", help=_("Replay speed of the recorded flight (no SITL)."))
    ] = 10.0,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    import os

    from gridpatrol.demo import DemoError, DemoOptions, run_demo
    from sim.errors import SimError
    from sim.sitl import MISSING_SITL, find_sitl

    if broker not in ("auto", "mosquitto", "embedded"):
        raise DemoError(
            N_("unknown --broker {broker}; use auto, mosquitto or embedded", broker=repr(broker))
        )
    if speed <= 0:
        raise DemoError(
            N_("--speed must be positive, e.g. 5 to replay the flight five times faster")
        )
    sitl = None
    if os.environ.get("ARDUPILOT_SITL"):
        sitl = find_sitl(os.environ["ARDUPILOT_SITL"])
        if sitl is None:
            raise SimError(
                N_(
                    "ARDUPILOT_SITL is set but not an executable file; {missing_sitl}",
                    missing_sitl=MISSING_SITL,
                )
            )
    given = None
    if mqtt:
        given = mqtt_settings(
            mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
        )
    run_demo(
        DemoOptions(
            out=out,
            seed=seed,
            dashboard=not no_dashboard,
            mqtt=given,
            broker=broker,
            speed=speed,
            sitl=sitl,
        ),
        typer.echo,
    )


def register(app: typer.Typer) -> None:
    """Add the top-level ``demo`` command."""
    app.command(
        "demo",
        help=_(
            "Run a whole patrol end to end: broker, plan, flight, telemetry, vision, live "
            "view, report."
        ),
        cls=LocalisedCommand,
    )(demo)
