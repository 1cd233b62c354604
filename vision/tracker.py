"""Confirmation and de-duplication: when a detection becomes an alert, and when it is the same one.

A candidate is a place on the ground where one kind of detection keeps appearing. Detections
within ``match_radius_m`` of a candidate's last position are the same candidate. It is confirmed
when it was seen in ``k`` of the last ``n`` frames its detector looked at (3 of 5 by default):
single-frame noise never reaches a ground team. Frames a detector skipped (activity judges a
30 fps video 10 times a second) are no misses: counted, they left a mover two sightings in its
window, and one missed sighting lost it (on a real 30 fps clip most cars then never kept a
candidate long enough for one alert, and became several).

A mover carries where it was ``shift_s`` seconds earlier (``Observation.origin``). It is linked to
the candidate that was where its measured motion says it was at that candidate's last sighting,
so a car that drives further between frames than ``match_radius_m`` is still one candidate. A
mover is confirmed after ``k_moving`` such linked sightings: its motion was measured on
independent frame pairs and agreed (velocities within ``max_velocity_change`` of its speed, a
share, so no scale is assumed), which noise, parallax flicker and chance matches rarely do.
Independent means not overlapping: each displacement is measured against a frame ``gap_s``
older, so on a video judged 10 times a second consecutive sightings share most of their
interval, and a flicker agrees with itself. The sightings must span ``min_span`` x that interval
(on frames a second apart, two consecutive ones do; at 10 Hz, about half a second of them). A
confirmed candidate within ``same_object_m`` metres and ``same_object_s`` seconds of an existing
alert of the same code updates that alert instead of raising a new one, so one object watched for
a minute is one alert.

Both radii are set by traffic, the commonest movers: cars queued or following each other have
their centres at least a car length and a gap apart, about 6 m. A candidate links to a sighting
within half that of where its motion puts it (``match_radius_m`` 3 m), so it never steps to the
car ahead while its own car is missed for a frame; and an alert takes over a new candidate only
within one spacing of where the alert's object is now (``same_object_m`` 6 m: a car seen as its
two ends, or lost and found; a mover is looked for where its last velocity has taken it), so the
next car of a queue gets its own alert. Wider radii made one alert hop down a queue: on a real
30 fps junction video, 13 of 36 alerts followed several cars (now 2 of 28).

A mover whose confirming sighting is classed person-sized (``size_class``, known only with a
height) raises no alert unless ``alert_person_sized``: in a city by day such movers are people
walking, which is neither a lead for a ground team nor restraint. It stays a detection and is
counted once per candidate in ``quiet``, so what was held back is said, not lost; a later
vehicle-sized sighting of it still alerts. Movers of unknown size always alert.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

from vision.config import TrackerConfig
from vision.detectors.base import Detection
from vision.detectors.size_class import PERSON
from vision.geotag import GroundFix

__all__ = ["Observation", "AlertTrack", "Event", "Tracker"]


@dataclass(frozen=True)
class Observation:
    """A detection placed on the ground; ``origin`` (x, y) is where a mover was ``shift_s`` ago."""

    detection: Detection
    fix: GroundFix
    origin: tuple[float, float] | None = None

    def velocity(self) -> tuple[float, float] | None:
        """Measured ground velocity (per second) of a mover, None for a still detection."""
        shift_s = self.detection.shift_s
        if self.origin is None or shift_s <= 0:
            return None
        return (
            (self.fix.x - self.origin[0]) / shift_s,
            (self.fix.y - self.origin[1]) / shift_s,
        )

    def expected_at(self, t_now: float, t_then: float) -> tuple[float, float]:
        """Where this object was at ``t_then``, from its measured motion (or where it is)."""
        shift_s = self.detection.shift_s
        if self.origin is None or shift_s <= 0:
            return self.fix.x, self.fix.y
        back = (t_now - t_then) / shift_s
        return (
            self.fix.x - (self.fix.x - self.origin[0]) * back,
            self.fix.y - (self.fix.y - self.origin[1]) * back,
        )


@dataclass
class AlertTrack:
    """An object that has an alert: where and when it was last seen, and when it was published."""

    alert_id: str
    code: str
    x: float
    y: float
    last_seen: float
    last_published: float
    sightings: int = 1
    best_score: float = 0.0
    number: int = 0
    velocity: tuple[float, float] | None = None  # of its last sighting, for a mover


@dataclass
class _Candidate:
    detector: str
    code: str
    x: float
    y: float
    t: float
    hits: deque
    alert: AlertTrack | None = None
    last: Observation | None = None
    quiet: bool = False
    born: float = 0.0  # time of its first sighting


@dataclass(frozen=True)
class Event:
    """``kind`` is "new" (raise an alert and set ``track.alert_id``) or "update" (republish it)."""

    kind: str
    observation: Observation
    track: AlertTrack


@dataclass
class Tracker:
    cfg: TrackerConfig
    candidates: list[_Candidate] = field(default_factory=list)
    alerts: list[AlertTrack] = field(default_factory=list)
    tracks: list[int | None] = field(default_factory=list)
    quiet: int = 0  # confirmed person-sized movers held back by ``alert_person_sized = false``
    _numbers: int = 0

    def update(
        self, t: float, observations: list[Observation], looked: Collection[str] | None = None
    ) -> list[Event]:
        """Feed one frame's observations (possibly none); returns what the alert stage must do.
        ``looked``: the detectors that looked at this frame (None: all); only their candidates
        count it as a sighting or a miss.

        Afterwards ``tracks[i]`` is the alert number of ``observations[i]`` (None while its
        candidate is unconfirmed).
        """
        cfg = self.cfg
        matched: set[int] = set()
        seen: list[tuple[_Candidate, Observation]] = []
        order = sorted(range(len(observations)), key=lambda i: -observations[i].detection.score)
        where: dict[int, _Candidate] = {}
        for j in order:
            obs = observations[j]
            best, best_d = None, cfg.match_radius_m
            for i, c in enumerate(self.candidates):
                if i in matched or c.code != obs.detection.code:
                    continue
                ex, ey = obs.expected_at(t, c.t)
                d = math.hypot(c.x - ex, c.y - ey)
                if d <= best_d and _same_velocity(c.last, obs, cfg.max_velocity_change):
                    best, best_d = i, d
            if best is None:
                c = _Candidate(
                    obs.detection.detector,
                    obs.detection.code,
                    obs.fix.x,
                    obs.fix.y,
                    t,
                    deque(maxlen=cfg.n),
                    born=t,
                )
                self.candidates.append(c)
                best = len(self.candidates) - 1
            matched.add(best)
            seen.append((self.candidates[best], obs))
            where[j] = self.candidates[best]
        hit_ids = {id(c) for c, _ in seen}
        for c in self.candidates:
            if looked is None or c.detector in looked or id(c) in hit_ids:
                c.hits.append(id(c) in hit_ids)
        events = [e for c, obs in seen if (e := self._sighting(c, obs, t)) is not None]
        self.tracks = [
            where[j].alert.number if where[j].alert is not None else None
            for j in range(len(observations))
        ]
        self.candidates = [c for c in self.candidates if any(c.hits)]
        self.alerts = [a for a in self.alerts if t - a.last_seen <= cfg.same_object_s]
        return events

    def _sighting(self, c: _Candidate, obs: Observation, t: float) -> Event | None:
        c.x, c.y, c.t, c.last = obs.fix.x, obs.fix.y, t, obs
        if c.alert is None:
            k = self.cfg.k_moving if obs.origin is not None else self.cfg.k
            if sum(c.hits) < k or not self._independent(c, obs, t):
                return None
            if obs.detection.size_class == PERSON and not self.cfg.alert_person_sized:
                self.quiet += not c.quiet
                c.quiet = True
                return None
            c.alert = self._existing(c, t)
            if c.alert is None:
                # Registered at once, so a second candidate confirmed in the same frame (a vehicle
                # seen as two blobs) finds it and becomes an update rather than a second alert.
                self._numbers += 1
                c.alert = AlertTrack(
                    "", c.code, c.x, c.y, t, t, 1, obs.detection.score, self._numbers
                )
                self.alerts.append(c.alert)
                return Event("new", obs, c.alert)
        a = c.alert
        a.x, a.y, a.last_seen, a.velocity = c.x, c.y, t, obs.velocity()
        a.sightings += 1
        a.best_score = max(a.best_score, obs.detection.score)
        if t - a.last_published >= self.cfg.update_every_s and a.alert_id:
            a.last_published = t
            return Event("update", obs, a)
        return None

    def _independent(self, c: _Candidate, obs: Observation, t: float) -> bool:
        """Whether a mover's sightings span ``min_span`` x the interval its motion is measured
        over, so that its first and latest displacements are not measured on overlapping frame
        pairs (a still detection has no such interval)."""
        if obs.origin is None:
            return True
        return t - c.born >= self.cfg.min_span * obs.detection.shift_s - 1e-6

    def _existing(self, c: _Candidate, t: float) -> AlertTrack | None:
        """The alert this candidate continues: the nearest whose object was seen within
        ``same_object_s`` and lies within ``same_object_m`` of it (an object lost and found
        again, or one seen as two blobs). A moving object is looked for where its last velocity
        has taken it since: where it was last seen, it is a car spacing nearer the car behind.
        Any further away is a different object, even of the same velocity: the next car of a
        queue is one car spacing (6 m and more) away."""
        best, best_d = None, self.cfg.same_object_m
        moving = c.last is not None and c.last.origin is not None
        for a in self.alerts:
            if a.code != c.code or t - a.last_seen > self.cfg.same_object_s:
                continue
            x, y = a.x, a.y
            if moving and a.velocity is not None:
                x, y = x + a.velocity[0] * (t - a.last_seen), y + a.velocity[1] * (t - a.last_seen)
            d = math.hypot(x - c.x, y - c.y)
            if d <= best_d:
                best, best_d = a, d
        return best


def _same_velocity(last: Observation | None, obs: Observation, tolerance: float) -> bool:
    """Whether two sightings of movers measured the same motion, within ``tolerance`` x the
    larger speed (a share, so no unit or scale is assumed). A real mover keeps its velocity over
    a second or two; a blob whose displacement was a chance match does not, so two independent
    frame pairs agreeing is the confirmation. Still detections are not compared."""
    if last is None:
        return True
    v0, v1 = last.velocity(), obs.velocity()
    if v0 is None or v1 is None:
        return True
    speed = max(math.hypot(*v0), math.hypot(*v1))
    return math.hypot(v1[0] - v0[0], v1[1] - v0[1]) <= tolerance * speed
