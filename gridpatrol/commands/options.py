"""Command-line options that several areas' commands share, defined once.

The same name and unit on every command: ``--ceiling`` in metres (``--ceiling-m`` is accepted
too), ``--reserve`` as 0.2 or 20 (%). Their defaults are ``mission.limits``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from telemetry.mqtt import MqttSettings

__all__ = [
    "Crs",
    "OutputCrs",
    "Alt",
    "Ceiling",
    "Margin",
    "Endurance",
    "Reserve",
    "Cruise",
    "Swap",
    "Climb",
    "Descent",
    "ItemLimit",
    "MqttUrl",
    "OptionalMqttUrl",
    "MqttCa",
    "MqttCert",
    "MqttKey",
    "MqttPasswordFile",
    "MQTT_PASSWORD_ENV",
    "mqtt_settings",
    "SigningKey",
    "Timeout",
    "TargetSystem",
    "GcsTimeout",
    "BatteryMah",
    "ConsumptionRate",
    "ConsumptionFrom",
    "BatteryCells",
]

Alt = Annotated[float, typer.Option("--alt", help="Altitude above the launch site, m.")]
Ceiling = Annotated[
    float, typer.Option("--ceiling", "--ceiling-m", help="Altitude ceiling above ground, m.")
]
Margin = Annotated[float, typer.Option("--margin", help="Clearance kept from no-fly zones, m.")]
Endurance = Annotated[float, typer.Option("--endurance-min", help="Battery endurance, minutes.")]
Reserve = Annotated[float, typer.Option("--reserve", help="Battery reserve kept: 0.2 or 20 (%).")]
Cruise = Annotated[float, typer.Option("--cruise", help="Cruise speed, m/s.")]
Swap = Annotated[float, typer.Option("--swap-min", help="Battery swap time, minutes.")]
Climb = Annotated[float, typer.Option("--climb", help="Climb rate, m/s.")]
Descent = Annotated[float, typer.Option("--descent", help="Descent rate, m/s.")]
ItemLimit = Annotated[int, typer.Option("--item-limit", help="Vehicle mission item limit.")]

# The sortie options of upload, fly and patrol run.
SigningKey = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        help="Sign the link (MAVLink 2): key file with 32 bytes, 64 hex digits or a passphrase.",
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for the vehicle's heartbeat.")
]
TargetSystem = Annotated[
    int, typer.Option("--target-system", help="Vehicle system id to set a signing key on.")
]
GcsTimeout = Annotated[
    float, typer.Option("--gcs-timeout", help="Seconds without the ground link before RTL.")
]
BatteryMah = Annotated[
    float | None,
    typer.Option(
        "--battery-mah", help="Pack capacity (mAh); must match BATT_CAPACITY (default: read it)."
    ),
]
ConsumptionRate = Annotated[
    float | None,
    typer.Option(
        "--consumption-mah-per-min",
        help="mAh the pack gives per minute of flight (27 A = 450), for the endurance check.",
    ),
]
ConsumptionFrom = Annotated[
    Path | None,
    typer.Option(
        "--consumption-from",
        help="Learn mAh per minute from an earlier flight's .tlog (BATTERY_STATUS while armed).",
    ),
]
BatteryCells = Annotated[int, typer.Option("--battery-cells", help="Pack cells in series.")]

Crs = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="Coordinate system of the district file: wgs84, gcj02 or bd09 (overrides its 'crs').",
    ),
]

OutputCrs = Annotated[
    str,
    typer.Option(
        "--output-crs",
        help="Coordinates of .geojson output: wgs84, or gcj02/bd09 for Chinese map apps only.",
    ),
]

MQTT_PASSWORD_ENV = "GRIDPATROL_MQTT_PASSWORD"

MqttUrl = Annotated[
    str,
    typer.Option(
        "--mqtt",
        help="Broker URL: mqtt://host:1883, or mqtts://user@host:8883 for TLS (password: "
        f"--mqtt-password-file or ${MQTT_PASSWORD_ENV}).",
    ),
]
OptionalMqttUrl = Annotated[str | None, MqttUrl.__metadata__[0]]
MqttCa = Annotated[
    str | None, typer.Option("--mqtt-ca", help="CA certificate file of a private broker CA (PEM).")
]
MqttCert = Annotated[
    str | None, typer.Option("--mqtt-cert", help="TLS client certificate file (PEM).")
]
MqttKey = Annotated[str | None, typer.Option("--mqtt-key", help="TLS client key file (PEM).")]
MqttPasswordFile = Annotated[
    str | None,
    typer.Option(
        "--mqtt-password-file",
        help=f"File whose first line is the MQTT password (or set ${MQTT_PASSWORD_ENV}).",
    ),
]


def mqtt_settings(
    url: str,
    *,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    password_file: str | None = None,
    **overrides: Any,
) -> MqttSettings:
    """Broker settings from the shared ``--mqtt*`` options, the same on every command.

    The password comes from ``--mqtt-password-file``, else ``$GRIDPATROL_MQTT_PASSWORD`` (used
    when the URL names a user), else the URL; a password in the URL works but gets a one-line
    warning, because ``ps`` shows every process's arguments.
    """
    from telemetry.mqtt import (
        PASSWORD_IN_URL_WARNING,
        MqttError,
        MqttSettings,
        read_password_file,
    )

    settings = MqttSettings.from_url(url, ca_file=ca, cert_file=cert, key_file=key, **overrides)
    password = read_password_file(password_file) if password_file else None
    if password is None and settings.username:
        password = os.environ.get(MQTT_PASSWORD_ENV, "").rstrip("\r\n") or None
    if password is not None:
        if not settings.username:
            raise MqttError(
                f"a password needs a user name: write the user in the URL, e.g. "
                f"{'mqtts' if settings.tls else 'mqtt'}://USER@{settings.host}:{settings.port}"
            )
        return MqttSettings.resolve(settings, password=password)
    if MqttSettings.password_in_url(url):
        typer.echo(PASSWORD_IN_URL_WARNING, err=True)
    return settings
