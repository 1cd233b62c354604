"""``gridpatrol telemetry`` (MAVLink -> MQTT bridge), ``gridpatrol watch`` (live table) and
``gridpatrol track`` (a recorded flight's tracks as GeoJSON)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from gridpatrol.commands.help import LocalisedCommand
from gridpatrol.commands.options import (
    Crs,
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    MqttUrl,
    OutputCrs,
    mqtt_settings,
)
from gridpatrol.i18n import _, translate
from mission.text import N_

__all__ = ["register"]


def _pairs(values: list[str], what: str, cast: type) -> dict:
    from telemetry.errors import TelemetryError

    out = {}
    for item in values:
        kind, sep, value = item.partition("=")
        try:
            out[kind.strip()] = cast(value)
        except ValueError:
            sep = ""
        if not sep:
            raise TelemetryError(
                N_(
                    "bad {what} {item}; write KIND=VALUE, e.g. position=5",
                    what=what,
                    item=repr(item),
                )
            )
    return out


def telemetry(
    mavlink: Annotated[
        list[str],
        typer.Option(
            "--mavlink",
            help=_(
                "MAVLink source: tcp:H:P, udpin:H:P, udpout:H:P, /dev/ttyUSB0,57600 or a .tlog "
                "file; NAME=URL names its vehicle NAME (others on it NAME-<sysid>). Repeat per "
                "link."
            ),
        ),
    ],
    mqtt: MqttUrl,
    district: Annotated[
        Path | None,
        typer.Option(
            "--district", help=_("District file for cell tagging (cell is null without).")
        ),
    ] = None,
    crs: Crs = None,
    spool: Annotated[
        Path, typer.Option("--spool", help=_("SQLite store-and-forward spool file."))
    ] = Path("gridpatrol-spool.sqlite"),
    spool_max_mb: Annotated[float, typer.Option(help=_("Spool size bound in MB."))] = 256.0,
    pace: Annotated[
        str, typer.Option("--pace", help=_("Replay pace of .tlog sources: recorded or fast."))
    ] = "recorded",
    speed: Annotated[float, typer.Option(help=_("Speed factor for --pace recorded."))] = 1.0,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            help=_("MAVLink 2 signing key file (32 bytes, 64 hex digits or a passphrase).")
        ),
    ] = None,
    record_dir: Annotated[
        Path | None, typer.Option(help=_("Record every link to rotating .tlog files here."))
    ] = None,
    rate: Annotated[
        list[str],
        typer.Option(
            "--rate", help=_("Publish rate limit KIND=HZ, e.g. position=5 (0 = no limit).")
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    qos: Annotated[
        list[str],
        typer.Option("--qos", help=_("QoS KIND=0|1 for position/attitude/battery/gps/link.")),
    ] = [],  # noqa: B006
    request: Annotated[
        list[str],
        typer.Option(
            "--request", help=_("Ask live vehicles for MESSAGE=HZ, e.g. ATTITUDE=10 (0 = stop it).")
        ),
    ] = [],  # noqa: B006
    lost_after: Annotated[float, typer.Option(help=_("Seconds without heartbeat = lost."))] = 5.0,
    client_id: Annotated[str | None, typer.Option(help=_("MQTT client id."))] = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
    mqtt_protocol: Annotated[str, typer.Option(help=_("MQTT protocol: 3.1.1 or 5."))] = "3.1.1",
    keepalive: Annotated[int, typer.Option(help=_("MQTT keepalive, seconds."))] = 30,
) -> None:
    from pydantic import ValidationError

    from telemetry.errors import TelemetryError
    from telemetry.service import BridgeOptions, run_bridge

    broker = mqtt_settings(
        mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
    )
    try:
        opts = BridgeOptions(
            mavlink=mavlink,
            mqtt=broker,
            district=district,
            district_crs=crs,
            spool=spool,
            spool_max_mb=spool_max_mb,
            pace=pace,
            speed=speed,
            signing_key=signing_key,
            record_dir=record_dir,
            rates_hz=_pairs(rate, "--rate", float),
            qos=_pairs(qos, "--qos", int),
            request_hz=_pairs(request, "--request", float),
            lost_after_s=lost_after,
            client_id=client_id,
            mqtt_protocol=mqtt_protocol,
            keepalive=keepalive,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TelemetryError(
            N_(
                "bad option {where}: {msg}; see gridpatrol telemetry --help",
                where=where,
                msg=first["msg"],
            )
        ) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    say = lambda line: typer.echo(translate(line), err=True)  # noqa: E731
    summary = run_bridge(opts, stop, report=say)
    for link in summary["links"].values():
        if link["replay"] and link["messages"] == 0:
            raise TelemetryError(
                N_(
                    "{url} holds no MAVLink: {bytes_in} bytes read, all garbage ({bad_crc} bad CRCs, "
                    "{unknown} unknown message ids); give a .tlog recorded from a vehicle or ground "
                    "station",
                    url=link["url"],
                    bytes_in=link["bytes_in"],
                    bad_crc=link["bad_crc"],
                    unknown=link["unknown"],
                )
            )
    line, lost = _summary_line(summary, spool)
    say(line)
    if lost:
        raise typer.Exit(1)


def _summary_line(summary: dict[str, Any], spool: Path) -> tuple[str, bool]:
    """The run in one line, naming every loss and every kind of garbage; True if records were lost."""
    dropped = {k: n for k, n in sorted(summary["dropped"].items()) if n}
    made, lost = summary["records"], sum(dropped.values())
    shown = f"{made - lost} of {made}" if lost else f"{made}"
    parts = [f"published {shown} records from {summary['messages']} MAVLink messages"]
    left = summary["spool_left"]
    parts.append(
        "everything acknowledged" if left == 0 else f"{left} left in {spool} for the next start"
    )
    if dropped:
        kinds = ", ".join(f"{k} {n}" for k, n in dropped.items())
        parts.append(
            f"LOST {lost} records ({kinds}): the spool's disk was full, or the "
            "broker was down for QoS 0 kinds; their seq numbers show as gaps"
        )
    from telemetry.link_health import skipped_summary

    skipped = skipped_summary(summary["links"].values())
    if skipped:
        parts.append("skipped " + skipped)
    return "; ".join(parts), bool(dropped)


def watch(
    mqtt: MqttUrl,
    once: Annotated[
        float | None, typer.Option(help=_("Print one table after this many seconds and exit."))
    ] = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    from telemetry.watch import run_watch

    broker = mqtt_settings(
        mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
    )
    run_watch(broker, once=once, tr=translate)


def track(
    tlog: Annotated[Path, typer.Argument(metavar="FLIGHT.tlog", help=_("Recorded flight."))],
    out: Annotated[Path, typer.Option("--output", "-o", help=_("GeoJSON file to write."))],
    output_crs: OutputCrs = "wgs84",
) -> None:
    from mission.crs import normalise_crs, write_geojson
    from telemetry.errors import TelemetryError

    system = normalise_crs(output_crs)
    if tlog.suffix.lower() != ".tlog":
        raise TelemetryError(
            N_("{tlog} is not a .tlog file; give a recorded flight (FLIGHT.tlog)", tlog=tlog)
        )
    from telemetry.flight_track import track_geojson

    fc, skipped = track_geojson(tlog)
    if not fc["features"]:
        raise TelemetryError(
            N_(
                "no GLOBAL_POSITION_INT with a GPS fix in {tlog}; nothing to draw as a track",
                tlog=tlog,
            )
        )
    write_geojson(fc, out, system)
    points = sum(f["properties"]["points"] for f in fc["features"])
    typer.echo(
        _(
            "wrote {n_features} tracks ({points} points) to {out} (coordinates: {system})",
            n_features=len(fc["features"]),
            points=points,
            out=out,
            system=system,
        )
    )
    if skipped:
        typer.echo(
            _(
                "skipped {skipped}: the file is damaged or pieced together, so the track may "
                "lack fixes; exit status 1",
                skipped=skipped,
            ),
            err=True,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``telemetry``, ``watch`` and ``track``."""
    app.command(
        "telemetry",
        help=_(
            "Bridge MAVLink vehicles to MQTT: normalised, cell-tagged records, spooled "
            "across outages."
        ),
        cls=LocalisedCommand,
    )(telemetry)
    app.command(
        "watch",
        help=_(
            "Live table of every vehicle (mode, armed, position, cell, battery, mission, "
            "link), from MQTT."
        ),
        cls=LocalisedCommand,
    )(watch)
    app.command(
        "track",
        help=_("Write the vehicles' tracks of a recorded flight as GeoJSON, one line per vehicle."),
        cls=LocalisedCommand,
    )(track)
