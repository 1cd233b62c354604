"""Every word the command-centre page shows, as messages: the page's label dictionary.

``labels.js`` (served with the page) is written from this by
``python -m gridpatrol.locale.labels centre/page/labels.js`` (``make i18n``): its ``en`` entry
from these ids, its ``zh`` entry from the catalog, so the page and the catalog cannot drift.
``{name}`` marks a value the page fills in.
"""

from __future__ import annotations

from mission.text import N_, Msg

__all__ = ["PAGE_LABELS"]

PAGE_LABELS: dict[str, Msg] = {
    "title": N_("gridpatrol command centre"),
    "report_title": N_("gridpatrol patrol report"),
    "drones": N_("Drones"),
    "alerts": N_("Alerts"),
    "no_drones": N_("No drone heard from yet."),
    "no_alerts": N_("No alerts."),
    "connecting": N_("Connecting…"),
    "live": N_("Live"),
    "reconnecting": N_("Connection lost, reconnecting…"),
    "broker_down": N_("Broker unreachable; alerts arrive when it is back"),
    "report_static": N_("Report generated {time}"),
    "cell_team": N_("Cell {cell} · {team}"),
    "outside_cells": N_("Outside every cell"),
    "unassigned": N_("no team"),
    "status_open": N_("open"),
    "status_acked": N_("acknowledged"),
    "field_cell": N_("Cell"),
    "field_team": N_("Team"),
    "field_drone": N_("Drone"),
    "field_detector": N_("Detector"),
    "field_score": N_("Score"),
    "field_created": N_("Created"),
    "field_position": N_("Position"),
    "field_status": N_("Status"),
    "position_pm": N_("{lat}, {lon} ± {m} m"),
    "acked_by": N_("Acknowledged by {by} at {at}"),
    "evidence_crop": N_("Crop"),
    "evidence_frame": N_("Whole frame"),
    "no_evidence": N_("No evidence image."),
    "lead_not_verdict": N_("An alert is a lead for a person to review, not a verdict."),
    "ack_name": N_("Your name"),
    "ack_button": N_("Acknowledge"),
    "ack_sending": N_("Sending…"),
    "ack_failed": N_("Not acknowledged: {error}"),
    "close": N_("Close"),
    "drone_line": N_("{mode} · {battery} · cell {cell} · {alt} m"),
    "battery_pct": N_("{pct} %"),
    "track_points": N_("{n} track points"),
    "unknown": N_("?"),
    "offline": N_("offline"),
    "key_area": N_("Key area"),
    "no_fly": N_("No-fly zone"),
    "privacy": N_("Privacy zone"),
    "launch_site": N_("Launch site"),
    "planned": N_("Planned path"),
    "flown": N_("Flown track"),
    "alert_marker": N_("Alert"),
    "summary": N_("Patrol summary"),
    "link_stats": N_("Link statistics"),
    "token_prompt": N_("This command centre needs its access token."),
    "token_label": N_("Token"),
    "token_submit": N_("Open"),
    "token_wrong": N_("Wrong token; try again."),
    "data_error": N_(
        "The command centre's data could not be read: what this page shows may be incomplete. Reload it; if this stays, tell whoever runs the server."
    ),
    "alerts_unreadable": N_("Alerts could not be read."),
    "drones_unreadable": N_("Drone positions could not be read."),
    "quarantined": N_(
        "{n} malformed alert messages quarantined (not shown): run gridpatrol alerts on the server to see why."
    ),
    "refused_records": N_("{n} malformed drone records (or fields) ignored."),
    "code.activity": N_("Activity"),
    "code.bloom": N_("Vegetation"),
    "code.object": N_("Object"),
    "code.alert": N_("Alert"),
}
