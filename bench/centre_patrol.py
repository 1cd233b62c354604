"""Command centre, patrol side: how fast the runner's states reach the page, and what a flood costs.

The schedule is a real `gridpatrol plan patrol` run (24 h, 2 drones, the sample district, seed 7):
its sorties become the timeline, and each sortie is played through the runner's states
(planned, preflight, uploading, waiting_confirm, airborne with its items, landed) as a runner
would publish them. A real mosquitto and the `gridpatrol serve` server (in-process) carry them; a
Server-Sent Events reader stands in for the browser. Then a flood of distinct sortie ids and a
flood of malformed messages show what the bounds and the quarantine cost. Prints one table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _centre_bench import SseReader, running_centre  # noqa: E402

from mission.formats.district_geojson import load_district  # noqa: E402
from telemetry.patrol_records import SortieState, Timeline, TimelineSortie  # noqa: E402
from telemetry.topics import PATROL_TIMELINE, sortie_topic  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"


class EventReader(SseReader):
    """Stamps every patrol event on arrival, by (sortie, state, item)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.seen: dict[tuple, float] = {}
        self.timeline_at: float | None = None

    def on_event(self, name: str, data: Any, now: float) -> None:
        if name != "patrol":
            return
        d = data["data"]
        if data["kind"] == "timeline":
            self.timeline_at = now
        elif data["kind"] == "sortie":
            self.seen.setdefault((d["sortie"], d["state"], d.get("item")), now)


def planned_schedule(work: Path) -> dict:
    """A real schedule from the planner (the same command an operator runs)."""
    subprocess.run(
        [sys.executable, "-m", "gridpatrol", "plan", "patrol", str(DISTRICT), "--out",
         str(work / "plan"), "--seed", "7", "--start", "2026-12-06T08:00:00+08:00"],
        check=True, capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return json.loads((work / "plan" / "schedule.json").read_text())


def lifecycle(s: dict) -> list[SortieState]:
    """The states a runner publishes for one sortie: one ``airborne`` per mission item."""
    items = len(s.get("visits", [])) + 2
    base = {"sortie": s["id"], "drone": s["drone"], "start_s": s["start_s"], "end_s": s["end_s"]}
    steps = [("planned", None), ("preflight", None), ("uploading", None),
             ("waiting_confirm", None), *[("airborne", i) for i in range(items)],
             ("landed", None)]  # fmt: skip
    return [
        SortieState(
            **base,
            state=state,
            time=time.time(),
            schedule_s=s["start_s"],
            item=item,
            items=items if item is not None else None,
        )  # fmt: skip
        for state, item in steps
    ]


def pct(values: list[float], q: float) -> str:
    return f"{float(np.percentile(values, q)) * 1000:8.1f}" if values else f"{'-':>8}"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-patrol-"))
    schedule = planned_schedule(work)
    district = load_district(DISTRICT)
    timeline = Timeline(
        start=schedule["start"], horizon_s=schedule["horizon_s"], clock_rate=10.0,
        schedule_s=0.0, drones=schedule["drones"],
        sorties=[TimelineSortie(id=s["id"], drone=s["drone"], start_s=s["start_s"],
                                end_s=s["end_s"], areas=[v["area"] for v in s["visits"]])
                 for s in schedule["sorties"]],
        limits_min={a["id"]: a["revisit_minutes"] for a in schedule["areas"]},
    )  # fmt: skip
    rows = []
    with running_centre(district, work, "patrol", EventReader) as (centre, store, pub, reader):

        def send(topic: str, body: bytes, retain: bool = False) -> float:
            sent = time.perf_counter()
            info = pub.publish(topic, body, qos=1, retain=retain)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise RuntimeError(mqtt.error_string(info.rc))
            info.wait_for_publish(5)
            return sent

        line = timeline.to_json()
        sent = send(PATROL_TIMELINE, line, retain=True)
        deadline = time.perf_counter() + 10
        while reader.timeline_at is None and time.perf_counter() < deadline:
            time.sleep(0.01)
        took = (reader.timeline_at or deadline) - sent
        rows.append((f"timeline ({len(timeline.sorties)} sorties)", 1, 1, f"{took * 1000:8.1f}",
                     f"{'':>8}", ""))  # fmt: skip

        # The day's sorties played through their states, paced at 100 messages/s.
        stamps = {}
        for s in schedule["sorties"]:
            for state in lifecycle(s):
                key = (state.sortie, state.state, state.item)
                stamps[key] = send(sortie_topic(state.sortie), state.to_json())
                time.sleep(0.01)
        time.sleep(1.0)
        lat = [reader.seen[k] - t for k, t in stamps.items() if k in reader.seen]
        rows.append(("sortie states MQTT→page, 100/s", len(lat), len(stamps), pct(lat, 50),
                     pct(lat, 99), ""))  # fmt: skip

        # A flood of 5,000 states over 2,500 distinct ids, none ended: held at the bound of 2,000;
        # the 500 ids beyond it are refused (and quarantined) each time they come.
        before = store.quarantined(patrol=True)
        start = time.perf_counter()
        flood, ids = 5_000, 2_500
        for i in range(flood):
            body = SortieState(sortie=f"f{i % ids}", drone="drone-1", state="airborne",
                               time=time.time(), schedule_s=0.0, start_s=0.0,
                               end_s=60.0).to_json()  # fmt: skip
            info = pub.publish(sortie_topic(f"f{i % ids}"), body, qos=1)
            if i % 200 == 199:
                info.wait_for_publish(10)
        info.wait_for_publish(10)
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and time.monotonic() - centre.feed.last_message_at < 1:
            time.sleep(0.05)
        took = time.perf_counter() - start - 1.0
        held = len(centre.state.board.snapshot()["sorties"])
        refused = store.quarantined(patrol=True) - before
        rows.append((f"id flood: {flood / took:.0f} msg/s, {held} held", flood, flood, "", "",
                     f"{refused} refused"))  # fmt: skip

        # A flood of 500 malformed states: each is quarantined on disk (SQLite, synchronous).
        before = store.quarantined(patrol=True)
        start = time.perf_counter()
        for i in range(500):
            info = pub.publish(sortie_topic(f"bad{i}"), b'{"sortie": "bad", "time": NaN}', qos=1)
        info.wait_for_publish(10)
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and store.quarantined(patrol=True) - before < 500:
            time.sleep(0.05)
        took = time.perf_counter() - start
        got = store.quarantined(patrol=True) - before
        rows.append((f"malformed flood: {got / took:.0f} msg/s", got, 500, "", "", "quarantined"))

        with urllib.request.urlopen(centre.url + "api/state") as r:
            snapshot_bytes = len(r.read())

    print(f"schedule: {len(schedule['sorties'])} sorties, {len(schedule['drones'])} drones, "
          f"{schedule['horizon_s'] / 3600:.0f} h; timeline message {len(line) / 1024:.1f} KiB; "
          f"page snapshot afterwards {snapshot_bytes / 1024:.0f} KiB")  # fmt: skip
    print(f"{'case':40} {'got':>6} {'sent':>6} {'p50 ms':>8} {'p99 ms':>8}  note")
    for name, got, total, p50, p99, note in rows:
        print(f"{name:40} {got:6d} {total:6d} {p50:>8} {p99:>8}  {note}")


if __name__ == "__main__":
    main()
