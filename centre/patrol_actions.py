"""What an operator asks of the patrol runner from the page: a check over a point, a launch's go.

Each action is checked here before anything is published (the alert exists and has a position,
no check for it is already under way; the sortie is waiting for its confirmation), published at
QoS 1 and reported done only once the broker has acknowledged it. The answer is an HTTP status
and a JSON body the page shows as it is: an error names the problem and what to do.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

from centre.errors import CentreError
from centre.live import LiveState
from centre.messages import first_problem
from centre.mqtt_feed import CentreFeed
from telemetry.patrol_records import ID_PATTERN, LaunchConfirm, TaskRequest

__all__ = ["PatrolActions", "Answer"]

Answer = tuple[int, dict[str, Any]]
DEFAULT_REQUESTER = "command centre"


class PatrolActions:
    """Check requests and launch confirmations, published through the centre's feed."""

    def __init__(
        self,
        feed: CentreFeed,
        state: LiveState,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._feed = feed
        self._state = state
        self._clock = clock

    def check_alert(self, alert_id: str, by: str) -> Answer:
        """Send a drone over an alert's position (the runner looks the alert up by its id)."""
        alert = self._state.store.get(alert_id)
        if alert is None:
            return HTTPStatus.NOT_FOUND, {"error": f"no alert {alert_id}"}
        if alert.lat is None or alert.lon is None:
            return HTTPStatus.CONFLICT, {
                "error": f"alert {alert_id} has no position; send a drone to a point instead"
            }
        under_way = self._state.board.active_task_for(alert_id)
        if under_way is not None:
            return HTTPStatus.CONFLICT, {
                "error": f"a check of this alert is already {under_way['state']}",
                "task": under_way,
            }
        if re.match(ID_PATTERN, alert_id):
            return self._send(by, alert_id, alert_id=alert_id)
        # An id too long for the runner's contract: ask for its point, still shown by the alert.
        return self._send(by, alert_id, lat=alert.lat, lon=alert.lon)

    def check_point(self, lat: Any, lon: Any, by: str) -> Answer:
        """Send a drone over a point given in degrees."""
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            return HTTPStatus.BAD_REQUEST, {"error": 'send {"lat": DEGREES, "lon": DEGREES}'}
        return self._send(by, None, lat=lat, lon=lon)

    def _send(self, by: str, for_alert: str | None, **target: Any) -> Answer:
        try:
            request = TaskRequest(
                id=f"check-{uuid.uuid4().hex[:12]}",
                requested_by=by.strip() or DEFAULT_REQUESTER,
                time=self._clock().timestamp(),
                **target,
            )
        except ValidationError as exc:
            return HTTPStatus.BAD_REQUEST, {"error": first_problem(exc)}
        try:
            self._feed.publish_task(request)
        except CentreError as exc:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)}
        self._state.store.put_task_request(request, for_alert)
        view = self._state.board.note_request(request, for_alert)
        self._state.hub.publish("patrol", {"kind": "task", "data": view})
        return HTTPStatus.OK, {"task": view}

    def confirm(self, sortie_id: str, by: str) -> Answer:
        """Give the go for a sortie that the runner holds in ``waiting_confirm``."""
        sortie = self._state.board.sortie(sortie_id)
        if sortie is None:
            return HTTPStatus.NOT_FOUND, {"error": f"no sortie {sortie_id} heard from the runner"}
        if sortie["state"] != "waiting_confirm":
            return HTTPStatus.CONFLICT, {
                "error": f"sortie {sortie_id} is {sortie['state']}, not waiting for confirmation",
                "sortie": sortie,
            }
        try:
            confirm = LaunchConfirm(sortie=sortie_id, by=by.strip(), time=self._clock().timestamp())
        except ValidationError:
            return HTTPStatus.BAD_REQUEST, {"error": "give your name (1 to 64 characters)"}
        if not confirm.by:
            return HTTPStatus.BAD_REQUEST, {"error": "give your name: a launch is confirmed by"}
        try:
            self._feed.publish_confirm(confirm)
        except CentreError as exc:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)}
        return HTTPStatus.OK, {"sortie": sortie, "confirmed_by": confirm.by}
