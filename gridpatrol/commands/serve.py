"""``gridpatrol serve``: the command-centre web page, fed from the broker.

Heavy imports (paho, the HTTP server) happen inside the command so ``gridpatrol --help`` is fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.centre import DB_HELP, DEFAULT_DB, client_id_for, report_quarantine
from gridpatrol.commands.help import LocalisedCommand
from gridpatrol.commands.options import (
    Crs,
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    MqttUrl,
    mqtt_settings,
)
from gridpatrol.i18n import _
from mission.text import N_

__all__ = ["register"]


def serve(
    mqtt: MqttUrl,
    district: Annotated[Path, typer.Option("--district", help=_("District GeoJSON to draw."))],
    port: Annotated[int, typer.Option("--port", help=_("TCP port of the page."))] = 8080,
    host: Annotated[
        str,
        typer.Option(
            "--host", help=_("Address to listen on; beyond loopback needs a token and TLS.")
        ),
    ] = "127.0.0.1",
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help=_(
                "File holding the access token the page asks for (or set GRIDPATROL_CENTRE_TOKEN)."
            ),
        ),
    ] = None,
    token: Annotated[str | None, typer.Option("--token", hidden=True)] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", help=_("PEM certificate: serve the page over HTTPS.")),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help=_("PEM private key of --tls-cert."))
    ] = None,
    db: Annotated[Path, typer.Option("--db", help=DB_HELP)] = DEFAULT_DB,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help=_("Page language: en or zh (default: the CLI's; ?lang= overrides).")
        ),
    ] = None,
    crs: Crs = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    from centre.access import TOKEN_ENV, read_token
    from centre.errors import CentreError
    from centre.server import MAX_CONNECTIONS, CommandCentre, check_bind, tls_context
    from centre.store import AlertStore
    from gridpatrol.i18n import language
    from mission.formats.district_geojson import load_district

    if token is not None:
        raise CentreError(
            N_(
                "--token puts the access token where `ps` shows it to every user of this "
                "machine; write it to a file and pass --token-file FILE, or set {token_env}",
                token_env=TOKEN_ENV,
            )
        )
    secret = read_token(token_file)
    check_bind(host, secret, port)
    tls = tls_context(tls_cert, tls_key, host)
    limit = _raise_file_limit()
    broker = mqtt_settings(
        mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
    )
    shapes = load_district(district, crs=crs)
    with AlertStore(db) as store:
        centre = CommandCentre(
            shapes,
            broker,
            store,
            client_id=client_id_for("serve", db),
            host=host,
            port=port,
            token=secret,
            tls=tls,
            lang=lang or language(),
            max_connections=min(MAX_CONNECTIONS, limit - 128),
        )
        before = store.quarantined()
        centre.start()
        typer.echo(
            _(
                "command centre on {url} (alerts from {broker_url}); Ctrl-C to stop",
                url=centre.url,
                broker_url=broker.url,
            )
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            typer.echo(_("stopping"))
        finally:
            centre.stop()
        status = report_quarantine(store, before, centre.feed.unstored)
        refused = centre.state.refused_records + centre.guard.refused
        if refused:
            typer.echo(
                _(
                    "{refused_records} malformed drone records (or fields) ignored; {refused} "
                    "connections refused over the cap of {cap}, {timed_out} cut as idle",
                    refused_records=centre.state.refused_records,
                    refused=centre.guard.refused,
                    cap=centre.guard.cap,
                    timed_out=centre.guard.timed_out,
                )
            )
    if status:
        raise typer.Exit(status)


def _raise_file_limit() -> int:
    """Let the server hold as many sockets as the system allows; the new soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""
    app.command(
        "serve",
        help=_(
            "Serve the command-centre web page: live map of drones and alerts, acknowledged "
            "from it."
        ),
        cls=LocalisedCommand,
    )(serve)
