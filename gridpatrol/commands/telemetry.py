"""``gridpatrol telemetry`` (MAVLink -> MQTT bridge), ``gridpatrol watch`` (live table) and
``gridpatrol track`` (a recorded flight's tracks as GeoJSON)."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

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
            raise TelemetryError(f"bad {what} {item!r}; write KIND=VALUE, e.g. position=5")
    return out


def telemetry(
    mavlink: Annotated[
        list[str],
        typer.Option(
            "--mavlink",
            help="MAVLink source: tcp:H:P, udpin:H:P, udpout:H:P, /dev/ttyUSB0,57600 or a .tlog "
            "file; NAME=URL names its vehicle NAME (others on it NAME-<sysid>). Repeat per link.",
        ),
    ],
    mqtt: MqttUrl,
    district: Annotated[
        Path | None,
        typer.Option("--district", help="District file for cell tagging (cell is null without)."),
    ] = None,
    crs: Crs = None,
    spool: Annotated[
        Path, typer.Option("--spool", help="SQLite store-and-forward spool file.")
    ] = Path("gridpatrol-spool.sqlite"),
    spool_max_mb: Annotated[float, typer.Option(help="Spool size bound in MB.")] = 256.0,
    pace: Annotated[
        str, typer.Option("--pace", help="Replay pace of .tlog sources: recorded or fast.")
    ] = "recorded",
    speed: Annotated[float, typer.Option(help="Speed factor for --pace recorded.")] = 1.0,
    signing_key: Annotated[
        Path | None,
        typer.Option(help="MAVLink 2 signing key file (32 bytes, 64 hex digits or a passphrase)."),
    ] = None,
    record_dir: Annotated[
        Path | None, typer.Option(help="Record every link to rotating .tlog files here.")
    ] = None,
    rate: Annotated[
        list[str],
        typer.Option("--rate", help="Publish rate limit KIND=HZ, e.g. position=5 (0 = no limit)."),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    qos: Annotated[
        list[str],
        typer.Option("--qos", help="QoS KIND=0|1 for position/attitude/battery/gps/link."),
    ] = [],  # noqa: B006
    request: Annotated[
        list[str],
        typer.Option(
            "--request", help="Ask live vehicles for MESSAGE=HZ, e.g. ATTITUDE=10 (0 = stop it)."
        ),
    ] = [],  # noqa: B006
    lost_after: Annotated[float, typer.Option(help="Seconds without heartbeat = lost.")] = 5.0,
    client_id: Annotated[str | None, typer.Option(help="MQTT client id.")] = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
    mqtt_protocol: Annotated[str, typer.Option(help="MQTT protocol: 3.1.1 or 5.")] = "3.1.1",
    keepalive: Annotated[int, typer.Option(help="MQTT keepalive, seconds.")] = 30,
) -> None:
    """Bridge MAVLink vehicles to MQTT: normalised, cell-tagged records, spooled across outages."""
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
            f"bad option {where}: {first['msg']}; see gridpatrol telemetry --help"
        ) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    say = lambda line: typer.echo(line, err=True)  # noqa: E731
    summary = run_bridge(opts, stop, report=say)
    for link in summary["links"].values():
        if link["replay"] and link["messages"] == 0:
            raise TelemetryError(
                f"{link['url']} holds no MAVLink: {link['bytes_in']} bytes read, all garbage "
                f"({link['bad_crc']} bad CRCs, {link['unknown']} unknown message ids); "
                "give a .tlog recorded from a vehicle or ground station"
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
    links = summary["links"].values()
    skipped = [
        (sum(li[key] for li in links), what)
        for key, what in (
            ("bad_bytes", "garbage bytes"),
            ("bad_crc", "bad CRCs"),
            ("unknown", "unknown message ids"),
            ("bad_timestamps", "implausible tlog timestamps"),
            ("unsigned_refused", "unsigned messages refused"),
        )
    ]
    if any(n for n, _ in skipped):
        parts.append("skipped " + ", ".join(f"{n} {what}" for n, what in skipped if n))
    return "; ".join(parts), bool(dropped)


def watch(
    mqtt: MqttUrl,
    once: Annotated[
        float | None, typer.Option(help="Print one table after this many seconds and exit.")
    ] = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_password_file: MqttPasswordFile = None,
) -> None:
    """Live table of every vehicle (mode, armed, position, cell, battery, mission, link), from MQTT."""
    from telemetry.watch import run_watch

    broker = mqtt_settings(
        mqtt, ca=mqtt_ca, cert=mqtt_cert, key=mqtt_key, password_file=mqtt_password_file
    )
    run_watch(broker, once=once)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def track_geojson(tlog: Path) -> dict[str, Any]:
    """One WGS-84 LineString per vehicle (sysid) from the GLOBAL_POSITION_INT fixes of a .tlog.

    Positions are [lon, lat, alt AMSL m]; a message at 0,0 is no fix and is left out. A vehicle
    with a single fix gets a Point.
    """
    from telemetry.vehicle_names import vehicle_id
    from vehicle.link import open_link

    tracks: dict[int, list[tuple[float, list[float]]]] = {}
    with open_link(str(tlog), pace="fast") as link:
        while (msg := link.recv(1.0)) is not None:
            if msg.get_type() != "GLOBAL_POSITION_INT" or (msg.lat == 0 and msg.lon == 0):
                continue
            point = [msg.lon / 1e7, msg.lat / 1e7, msg.alt / 1000.0]
            tracks.setdefault(msg.get_srcSystem(), []).append((msg._timestamp, point))
    features = []
    for sysid, fixes in sorted(tracks.items()):
        coords = [p for _, p in fixes]
        kind = "LineString" if len(coords) >= 2 else "Point"
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": kind,
                    "coordinates": coords if len(coords) >= 2 else coords[0],
                },
                "properties": {
                    "vehicle": vehicle_id(sysid),
                    "sysid": sysid,
                    "points": len(coords),
                    "start": _iso(fixes[0][0]),
                    "end": _iso(fixes[-1][0]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def track(
    tlog: Annotated[Path, typer.Argument(metavar="FLIGHT.tlog", help="Recorded flight.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="GeoJSON file to write.")],
    output_crs: OutputCrs = "wgs84",
) -> None:
    """Write the vehicles' tracks of a recorded flight as GeoJSON, one line per vehicle."""
    from mission.crs import normalise_crs, write_geojson
    from telemetry.errors import TelemetryError

    system = normalise_crs(output_crs)
    if tlog.suffix.lower() != ".tlog":
        raise TelemetryError(f"{tlog} is not a .tlog file; give a recorded flight (FLIGHT.tlog)")
    fc = track_geojson(tlog)
    if not fc["features"]:
        raise TelemetryError(
            f"no GLOBAL_POSITION_INT with a GPS fix in {tlog}; nothing to draw as a track"
        )
    write_geojson(fc, out, system)
    points = sum(f["properties"]["points"] for f in fc["features"])
    typer.echo(
        f"wrote {len(fc['features'])} tracks ({points} points) to {out} (coordinates: {system})"
    )


def register(app: typer.Typer) -> None:
    """Add ``telemetry``, ``watch`` and ``track``."""
    app.command("telemetry")(telemetry)
    app.command("watch")(watch)
    app.command("track")(track)
