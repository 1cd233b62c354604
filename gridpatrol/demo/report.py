"""The patrol report: the command-centre page frozen into one HTML file that needs no network.

It draws with the same code as the live page, from an embedded snapshot: the district and its
cells, the planned paths, the flown tracks, the alerts with their evidence crops inline as data
URIs, the patrol summary and the link statistics. ``gridpatrol demo`` writes it at the end of a
run; anything that has a district, tracks and alerts can.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from centre.mapdata import alert_view, district_json
from centre.messages import IncomingAlert, iso_utc
from centre.page import render_page
from centre.store import StoredAlert
from gridpatrol.demo.view import CentreView
from gridpatrol.i18n import translate
from mission.model import District
from mission.text import N_

__all__ = ["write_report", "report_html", "link_stats"]

LonLat = tuple[float, float]


def report_html(
    district: District,
    *,
    tracks: Mapping[str, Sequence[LonLat]] = {},
    planned: Mapping[str, Sequence[LonLat]] = {},
    alerts: Iterable[Mapping[str, Any] | BaseModel] = (),
    summary: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
    link_stats: Mapping[str, Any] | None = None,
    lang: str = "en",
    generated: datetime | None = None,
) -> str:
    """``tracks`` and ``planned`` map a name to (lon, lat) points; ``alerts`` are alerts as
    published (JSON objects or ``vision.alerts.Alert``, evidence included); ``summary`` is
    (column names, rows); ``link_stats`` is label -> value. Their English words are translated
    here for ``lang`` when they are messages (``N_``); plain values are shown as given (the
    page's own words come from its labels)."""

    def tr(text: object) -> object:
        return translate(text, "zh" if lang.lower().startswith("zh") else "en")

    views = []
    for payload in alerts:
        if isinstance(payload, BaseModel):  # e.g. vision.alerts.Alert
            payload = payload.model_dump(mode="json")
        alert = IncomingAlert.model_validate(payload)
        inline = {k: f"data:image/jpeg;base64,{b64}" for k, b64 in alert.evidence_b64().items()}
        views.append(alert_view(StoredAlert.from_incoming(alert), inline))
    snapshot = {
        "generated": iso_utc(generated or datetime.now(UTC)),
        "vehicles": [
            {"vehicle": name, "track": [[float(lon), float(lat)] for lon, lat in points]}
            for name, points in tracks.items()
        ],
        "planned": [
            {"name": name, "points": [[float(lon), float(lat)] for lon, lat in points]}
            for name, points in planned.items()
        ],
        "alerts": views,
        "summary": None
        if summary is None
        else {"columns": [tr(c) for c in summary[0]], "rows": [list(row) for row in summary[1]]},
        "link_stats": {tr(k): tr(v) if isinstance(v, str) else v for k, v in link_stats.items()}
        if link_stats
        else None,
    }
    boot = {
        "mode": "report",
        "lang": lang,
        "district": district_json(district),
        "snapshot": snapshot,
    }
    return render_page(boot, nonce=secrets.token_urlsafe(16))


def write_report(path: Path, district: District, **content: Any) -> Path:
    """Write :func:`report_html` to ``path`` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(district, **content), encoding="utf-8")
    return path


def link_stats(view: CentreView, flown: dict[str, Any], received: int) -> dict[str, Any]:
    """Report statistics, label -> value; labels (and message values) are ``Msg``s."""
    stats: dict[str, Any] = {N_("flight"): flown["mode"].values["how"]}
    bridge = flown["bridge"]
    if bridge:
        stats[N_("MAVLink messages decoded")] = bridge.get("messages")
        stats[N_("telemetry records published")] = bridge.get("records")
        publisher = bridge.get("publisher") or {}
        stats[N_("records acknowledged by the broker")] = publisher.get("acked")
        stats[N_("records left in the spool")] = bridge.get("spool_left")
    for vehicle, link in view.link_records().items():
        stats[N_("{vehicle}: messages on the link", vehicle=vehicle)] = link.get("messages")
        stats[N_("{vehicle}: bad bytes", vehicle=vehicle)] = link.get("bad_bytes")
        stats[N_("{vehicle}: sequence gaps", vehicle=vehicle)] = link.get("seq_drops")
        stats[N_("{vehicle}: reconnects", vehicle=vehicle)] = link.get("reconnects")
    stats[N_("alert messages acknowledged (new and updated)")] = flown["vision"].get("acked")
    stats[N_("alerts received by the centre")] = received
    return stats
