"""Command-centre commands: ``gridpatrol alerts`` (store, list, acknowledge, export); ``serve`` is
in ``serve.py``.

Heavy imports (paho, the HTTP server) happen inside the commands so ``gridpatrol --help`` is fast.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from gridpatrol.commands.help import LocalisedCommand, LocalisedGroup
from gridpatrol.commands.options import (
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    OptionalMqttUrl,
    OutputCrs,
    mqtt_settings,
)
from gridpatrol.i18n import _, translate
from mission.text import N_

__all__ = ["register", "client_id_for", "report_quarantine", "DB_HELP", "DEFAULT_DB"]

DB_HELP = _("SQLite file the alerts are kept in across restarts.")
DEFAULT_DB = Path("alerts.sqlite")
QUARANTINED = 1  # exit status when messages were quarantined or left unstored in this run


def client_id_for(role: str, db: Path) -> str:
    """Stable per store file, so the broker keeps this centre's session between runs."""
    digest = hashlib.sha1(str(db.resolve()).encode()).hexdigest()[:10]
    return f"gp-{role}-{digest}"


def _drain(feed, *, quiet_s: float, wait_s: float) -> None:
    """Wait until the broker has handed over its backlog: ``quiet_s`` without a message."""
    start = time.monotonic()
    while time.monotonic() - start < wait_s:
        last = max(feed.last_message_at, start)
        if time.monotonic() - last >= quiet_s:
            return
        time.sleep(0.05)


def report_quarantine(store, before: int, unstored: int) -> int:
    """Print what this run could not file; the exit status the command should end with."""
    from mission.text import printable

    new = store.quarantined() - before
    if new:
        topic, reason = store.quarantine_reasons(1)[0]
        typer.echo(
            _(
                "{new} malformed message{plural} quarantined in {path} (table quarantine), not "
                "listed; newest on {topic}: {reason}",
                new=new,
                plural="s" if new != 1 else "",
                path=store.path,
                topic=printable(topic, 120),
                reason=printable(reason, 200),
            )
        )
    if unstored:
        typer.echo(
            _(
                "{unstored} message{plural} could not be stored; they stay with the broker and "
                "arrive again on the next run: check the alert store's disk",
                unstored=unstored,
                plural="s" if unstored != 1 else "",
            )
        )
    return QUARANTINED if new or unstored else 0


def alerts_main(
    ctx: typer.Context,
    mqtt: OptionalMqttUrl = None,
    db: Annotated[Path, typer.Option("--db", help=DB_HELP)] = DEFAULT_DB,
    show_all: Annotated[
        bool, typer.Option("--all", help=_("Include acknowledged alerts."))
    ] = False,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help=_("Keep listening and print each alert until Ctrl-C.")),
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", help=_("Longest wait for the broker's backlog, in seconds."))
    ] = 10.0,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    """Receive alerts from the broker into the store and list the open ones by cell and team."""
    tls = {"ca": mqtt_ca, "cert": mqtt_cert, "key": mqtt_key, "password_file": mqtt_password_file}
    ctx.obj = {"mqtt": mqtt, "db": db, "tls": tls}
    if ctx.invoked_subcommand:
        return
    from centre.errors import CentreError
    from centre.listing import alert_line, format_alerts
    from centre.mqtt_feed import CentreFeed
    from centre.store import AlertStore, StoreSink
    from mission.text import printable

    if mqtt is None and not db.exists():
        raise CentreError(N_("no alert store at {db}; receive alerts first with --mqtt URL", db=db))
    broker = mqtt_settings(mqtt, **tls) if mqtt is not None else None
    status = 0
    with AlertStore(db) as store:
        before = store.quarantined()
        if broker is None:
            typer.echo(_("(alerts stored in {db}; pass --mqtt URL to receive new ones)", db=db))
        else:

            def notify(change: str, alert_id: str) -> None:
                if follow and change == "quarantined":
                    typer.echo(_("quarantined: {alert_id}", alert_id=printable(alert_id, 200)))
                elif follow and (alert := store.get(alert_id)):
                    typer.echo(
                        _(
                            "{change}: cell {cell} · {alert_line}",
                            change=change,
                            cell=alert.cell,
                            alert_line=alert_line(alert, translate),
                        )
                    )

            feed = CentreFeed(broker, client_id_for("alerts", db), StoreSink(store, notify))
            feed.start()
            try:
                if follow:
                    typer.echo(_("listening on {url}; Ctrl-C to stop", url=feed.settings.url))
                    while True:
                        time.sleep(0.5)
                else:
                    _drain(feed, quiet_s=1.0, wait_s=wait)
            except KeyboardInterrupt:
                typer.echo("")
            finally:
                feed.stop()
        typer.echo(
            format_alerts(
                store.alerts(open_only=not show_all),
                what=N_("stored") if show_all else N_("open"),
                tr=translate,
            )
        )
        if mqtt is None:
            if before:
                typer.echo(
                    _(
                        "{before} malformed messages kept in quarantine in {db}",
                        before=before,
                        db=db,
                    )
                )
        else:
            status = report_quarantine(store, before, feed.unstored)
    if status:
        raise typer.Exit(status)


def alerts_ack(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(metavar="ID", help=_("Alert id, as listed."))],
    by: Annotated[str, typer.Option("--by", help=_("Who takes the alert on (name or team)."))],
    mqtt: OptionalMqttUrl = None,
    db: Annotated[Path | None, typer.Option("--db", help=DB_HELP)] = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    from centre.errors import CentreError
    from centre.messages import Ack
    from centre.mqtt_feed import CentreFeed
    from centre.store import AlertStore, StoreSink
    from mission.text import printable

    parent = ctx.obj or {}
    mqtt = mqtt or parent.get("mqtt")
    db = db or parent.get("db") or DEFAULT_DB
    given = {"ca": mqtt_ca, "cert": mqtt_cert, "key": mqtt_key, "password_file": mqtt_password_file}
    tls = {k: v or parent.get("tls", {}).get(k) for k, v in given.items()}
    if not mqtt:
        raise CentreError(N_("acknowledging needs the broker; pass --mqtt mqtt://host:1883"))
    by = by.strip()
    if not 1 <= len(by) <= 80:
        raise CentreError(N_("--by needs a name of 1 to 80 characters: who takes the alert on"))
    if not db.exists():
        raise CentreError(
            N_("no alert store at {db}; receive alerts first: gridpatrol alerts --mqtt URL", db=db)
        )
    with AlertStore(db) as store:
        alert = store.get(alert_id)
        if alert is None:
            raise CentreError(
                N_(
                    "no alert {alert_id} in {db}; run `gridpatrol alerts --mqtt URL --db {db}` to "
                    "receive alerts, then use an id it lists",
                    alert_id=alert_id,
                    db=db,
                )
            )
        if alert.acked_by:
            typer.echo(
                _(
                    "{alert_id} was already acknowledged by {acked_by} at {acked_at}",
                    alert_id=alert_id,
                    acked_by=printable(alert.acked_by),
                    acked_at=alert.acked_at,
                )
            )
            return
        ack = Ack(id=alert_id, by=by, time=datetime.now(UTC))
        feed = CentreFeed(
            mqtt_settings(mqtt, **tls),
            f"gp-ack-{uuid.uuid4().hex[:12]}",
            StoreSink(store),
            persistent=False,
        )
        feed.start()
        try:
            feed.publish_ack(ack)
        finally:
            feed.stop()
        store.put_ack(ack)
        typer.echo(
            _(
                "acknowledged {alert_id} (cell {cell}, team {team}) as {by}",
                alert_id=alert_id,
                cell=alert.cell,
                team=printable(alert.team),
                by=printable(ack.by),
            )
        )


def alerts_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(metavar="OUT.geojson", help=_("GeoJSON file to write."))],
    db: Annotated[Path | None, typer.Option("--db", help=DB_HELP)] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help=_("Include acknowledged alerts."))
    ] = False,
    output_crs: OutputCrs = "wgs84",
) -> None:
    from centre.errors import CentreError
    from centre.mapdata import alerts_geojson
    from centre.store import AlertStore
    from mission.crs import normalise_crs, write_geojson

    parent = ctx.obj or {}
    db = db or parent.get("db") or DEFAULT_DB
    system = normalise_crs(output_crs)
    if not db.exists():
        raise CentreError(
            N_("no alert store at {db}; receive alerts first: gridpatrol alerts --mqtt URL", db=db)
        )
    with AlertStore(db) as store:
        alerts = store.alerts(open_only=not show_all)
    write_geojson(alerts_geojson(alerts), out, system)
    if show_all:
        typer.echo(
            _(
                "wrote {n_alerts} stored alerts to {out} (coordinates: {system})",
                n_alerts=len(alerts),
                out=out,
                system=system,
            )
        )
    else:
        typer.echo(
            _(
                "wrote {n_alerts} open alerts to {out} (coordinates: {system})",
                n_alerts=len(alerts),
                out=out,
                system=system,
            )
        )


def register(app: typer.Typer) -> None:
    """Add ``alerts`` (with ``alerts ack`` and ``alerts export``) to the CLI."""
    alerts = typer.Typer(
        help=_("Receive, list, acknowledge and export the drones' alerts."), cls=LocalisedGroup
    )
    alerts.callback(invoke_without_command=True)(alerts_main)
    alerts.command(
        "ack",
        help=_(
            "Acknowledge an alert: publish who took it on to the broker, then mark it in the store."
        ),
        cls=LocalisedCommand,
    )(alerts_ack)
    alerts.command(
        "export",
        help=_("Write the stored alerts as GeoJSON points, for GIS tools and Chinese map apps."),
        cls=LocalisedCommand,
    )(alerts_export)
    app.add_typer(alerts, name="alerts")
