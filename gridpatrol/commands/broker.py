"""``gridpatrol broker config``: write a mosquitto configuration with TLS and per-role users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]


def config(
    out: Annotated[Path, typer.Option("--out", help=_("Folder to write the broker files into."))],
    port: Annotated[int, typer.Option("--port", help=_("TLS port of the listener."))] = 8883,
    listen: Annotated[
        str, typer.Option("--listen", help=_("Address the broker listens on."))
    ] = "0.0.0.0",
    name: Annotated[
        list[str],
        typer.Option(
            "--name",
            help=_(
                "Host name or IP the clients use (repeat; default: localhost, 127.0.0.1, this "
                "host's name). Only for a generated certificate."
            ),
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    cafile: Annotated[
        Path | None, typer.Option("--cafile", help=_("CA of an existing PKI (else one is made)."))
    ] = None,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help=_("Server certificate signed by --cafile."))
    ] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help=_("Key of --certfile."))] = None,
    run_as: Annotated[
        str | None,
        typer.Option("--run-as", help=_("System user mosquitto drops to (default: mosquitto).")),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Replace an existing config."))] = False,
) -> None:
    from gridpatrol.broker_config import ROLES, default_names, write_broker_config
    from telemetry.mqtt import MqttError

    given = (cafile, certfile, keyfile)
    if any(given) and not all(given):
        raise MqttError(N_("give all three of --cafile, --certfile and --keyfile, or none of them"))
    files = write_broker_config(
        out,
        port=port,
        listen=listen,
        names=name or None,
        tls_files=given if all(given) else None,  # type: ignore[arg-type]
        force=force,
        run_as=run_as,
    )
    host = (name or default_names())[-1]
    typer.echo(
        _(
            "wrote {config} (TLS on {listen}:{port}, {n_roles} users hashed by {hashed_by}, "
            "ACL); start it with: mosquitto -c {config}",
            config=files.config,
            listen=listen,
            port=port,
            n_roles=len(ROLES),
            hashed_by=files.hashed_by,
        )
    )
    for role in ROLES:
        typer.echo(
            _(
                "  {command}: --mqtt mqtts://{user}@{host}:{port} --mqtt-ca {ca_file} "
                "--mqtt-password-file {password_files}",
                command=role.command,
                user=role.user,
                host=host,
                port=port,
                ca_file=files.ca_file,
                password_files=files.password_files[role.user],
            )
        )


def register(app: typer.Typer) -> None:
    """Add ``broker config``."""
    broker = typer.Typer(
        help=_("Set up the MQTT broker: TLS, users and their topics."), cls=LocalisedGroup
    )
    broker.command(
        "config",
        help=_(
            "Write mosquitto.conf (TLS listener), a password file, an ACL and one password "
            "per role."
        ),
        cls=LocalisedCommand,
    )(config)
    app.add_typer(broker, name="broker")
