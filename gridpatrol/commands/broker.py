"""``gridpatrol broker config``: write a mosquitto configuration with TLS and per-role users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def config(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the broker files into.")],
    port: Annotated[int, typer.Option("--port", help="TLS port of the listener.")] = 8883,
    listen: Annotated[
        str, typer.Option("--listen", help="Address the broker listens on.")
    ] = "0.0.0.0",
    name: Annotated[
        list[str],
        typer.Option(
            "--name",
            help="Host name or IP the clients use (repeat; default: localhost, 127.0.0.1, "
            "this host's name). Only for a generated certificate.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    cafile: Annotated[
        Path | None, typer.Option("--cafile", help="CA of an existing PKI (else one is made).")
    ] = None,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help="Server certificate signed by --cafile.")
    ] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help="Key of --certfile.")] = None,
    run_as: Annotated[
        str | None,
        typer.Option("--run-as", help="System user mosquitto drops to (default: mosquitto)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config.")] = False,
) -> None:
    """Write mosquitto.conf (TLS listener), a password file, an ACL and one password per role."""
    from gridpatrol.broker_config import ROLES, default_names, write_broker_config
    from telemetry.mqtt import MqttError

    given = (cafile, certfile, keyfile)
    if any(given) and not all(given):
        raise MqttError("give all three of --cafile, --certfile and --keyfile, or none of them")
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
        f"wrote {files.config} (TLS on {listen}:{port}, {len(ROLES)} users hashed by "
        f"{files.hashed_by}, ACL); start it with: mosquitto -c {files.config}"
    )
    for role in ROLES:
        typer.echo(
            f"  {role.command}: --mqtt mqtts://{role.user}@{host}:{port} --mqtt-ca {files.ca_file} "
            f"--mqtt-password-file {files.password_files[role.user]}"
        )


def register(app: typer.Typer) -> None:
    """Add ``broker config``."""
    broker = typer.Typer(help="Set up the MQTT broker: TLS, users and their topics.")
    broker.command("config")(config)
    app.add_typer(broker, name="broker")
