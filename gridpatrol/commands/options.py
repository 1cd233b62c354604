"""Command-line options that several areas' commands share, defined once.

The same name and unit on every command: ``--ceiling`` in metres (``--ceiling-m`` is accepted
too), ``--reserve`` as 0.25 or 25 (%). Their defaults are ``mission.limits``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gridpatrol.i18n import _
from mission.text import N_

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
    "ReadyTimeout",
    "FlightTimeout",
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

Alt = Annotated[float, typer.Option("--alt", help=_("Altitude above the launch site, m."))]
Ceiling = Annotated[
    float, typer.Option("--ceiling", "--ceiling-m", help=_("Altitude ceiling above ground, m."))
]
Margin = Annotated[float, typer.Option("--margin", help=_("Clearance kept from no-fly zones, m."))]
Endurance = Annotated[float, typer.Option("--endurance-min", help=_("Battery endurance, minutes."))]
Reserve = Annotated[
    float,
    typer.Option(
        "--reserve",
        help=_(
            "Battery reserve kept, 0.25 or 25 (%): the low-battery failsafe's level. A failsafe "
            "return home must fit in its first half; the critical failsafe lands at the second."
        ),
    ),
]
Cruise = Annotated[float, typer.Option("--cruise", help=_("Cruise speed, m/s."))]
Swap = Annotated[float, typer.Option("--swap-min", help=_("Battery swap time, minutes."))]
Climb = Annotated[float, typer.Option("--climb", help=_("Climb rate, m/s."))]
Descent = Annotated[float, typer.Option("--descent", help=_("Descent rate, m/s."))]
ItemLimit = Annotated[
    int, typer.Option("--item-limit", help=_("Mission items the vehicle holds, if it won't say."))
]
ReadyTimeout = Annotated[
    float, typer.Option("--ready-timeout", help=_("Seconds to wait for GPS and EKF."))
]
FlightTimeout = Annotated[
    float, typer.Option("--flight-timeout", help=_("Seconds to follow one flight."))
]

# The sortie options of upload, fly and patrol run.
SigningKey = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        help=_("Sign the link (MAVLink 2): key file with 32 bytes, 64 hex digits or a passphrase."),
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", help=_("Seconds to wait for the vehicle's heartbeat."))
]
TargetSystem = Annotated[
    int, typer.Option("--target-system", help=_("Vehicle system id to set a signing key on."))
]
GcsTimeout = Annotated[
    float, typer.Option("--gcs-timeout", help=_("Seconds without the ground link before RTL."))
]
BatteryMah = Annotated[
    float | None,
    typer.Option(
        "--battery-mah", help=_("Pack capacity (mAh); must match BATT_CAPACITY (default: read it).")
    ),
]
ConsumptionRate = Annotated[
    float | None,
    typer.Option(
        "--consumption-mah-per-min",
        help=_("mAh the pack gives per minute of flight (27 A = 450), for the endurance check."),
    ),
]
ConsumptionFrom = Annotated[
    Path | None,
    typer.Option(
        "--consumption-from",
        help=_("Learn mAh per minute from an earlier flight's .tlog (BATTERY_STATUS while armed)."),
    ),
]
BatteryCells = Annotated[int, typer.Option("--battery-cells", help=_("Pack cells in series."))]

Crs = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help=_(
            "Coordinate system of the district file: wgs84, gcj02 or bd09 (overrides its 'crs')."
        ),
    ),
]

OutputCrs = Annotated[
    str,
    typer.Option(
        "--output-crs",
        help=_("Coordinates of .geojson output: wgs84, or gcj02/bd09 for Chinese map apps only."),
    ),
]

MQTT_PASSWORD_ENV = "GRIDPATROL_MQTT_PASSWORD"

MqttUrl = Annotated[
    str,
    typer.Option(
        "--mqtt",
        help=_(
            "Broker URL: mqtt://host:1883, or mqtts://user@host:8883 for TLS (password: "
            "--mqtt-password-file or ${env}).",
            env=MQTT_PASSWORD_ENV,
        ),
    ),
]
OptionalMqttUrl = Annotated[str | None, MqttUrl.__metadata__[0]]
MqttCa = Annotated[
    str | None,
    typer.Option("--mqtt-ca", help=_("CA certificate file of a private broker CA (PEM).")),
]
MqttCert = Annotated[
    str | None, typer.Option("--mqtt-cert", help=_("TLS client certificate file (PEM)."))
]
MqttKey = Annotated[str | None, typer.Option("--mqtt-key", help=_("TLS client key file (PEM)."))]
MqttPasswordFile = Annotated[
    str | None,
    typer.Option(
        "--mqtt-password-file",
        help=_(
            "File whose first line is the MQTT password (or set ${env}).", env=MQTT_PASSWORD_ENV
        ),
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
                N_(
                    "a password needs a user name: write the user in the URL, e.g. "
                    "{scheme}://USER@{host}:{port}",
                    scheme="mqtts" if settings.tls else "mqtt",
                    host=settings.host,
                    port=settings.port,
                )
            )
        return MqttSettings.resolve(settings, password=password)
    if MqttSettings.password_in_url(url):
        typer.echo(_(PASSWORD_IN_URL_WARNING), err=True)
    return settings
