"""Hypothesis fuzzing of the alert, acknowledgement and telemetry readers as the centre sees them.

Whatever bytes arrive, a reader returns a model or a one-line refusal and never raises; what it
accepts is bounded and finite, and everything the page would be sent serialises as strict JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centre.live import Hub, LiveState, strict_json
from centre.mapdata import alert_view
from centre.messages import IncomingAlert, Refused, parse_ack, parse_alert
from centre.mqtt_feed import _vehicle_value
from centre.store import AlertStore, StoredAlert

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=300))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=10,
)
FIELDS = ["id", "cell", "team", "code", "detector", "vehicle", "score", "lat", "lon",
          "uncertainty_m", "created", "status", "footprint", "evidence"]  # fmt: skip
alert_like = st.fixed_dictionaries(
    {"id": st.one_of(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,20}\Z"), values),
     "cell": st.one_of(st.integers(min_value=-5, max_value=10**21), values)},
    optional={k: values for k in FIELDS[2:]},
)  # fmt: skip


def _as_bytes(doc) -> bytes:
    # Python's json writes NaN and Infinity as the bare words an attacker would send.
    return json.dumps(doc, allow_nan=True).encode()


def _check_accepted(alert: IncomingAlert) -> None:
    for name in ("score", "lat", "lon", "uncertainty_m"):
        value = getattr(alert, name)
        assert value is None or math.isfinite(value), name
    assert 0 <= alert.cell <= 100_000
    assert all(len(getattr(alert, n) or "") <= 200 for n in ("team", "code", "detector", "vehicle"))
    stored = StoredAlert.from_incoming(alert)
    strict_json(alert_view(stored, {}))  # what the page gets: never NaN or Infinity
    json.loads(alert.model_dump_json())


@FUZZ
@given(st.binary(max_size=2000))
def test_alert_reader_never_raises_on_bytes(raw):
    result = parse_alert(raw, topic_cell="3", cells=range(1, 61))
    assert isinstance(result, IncomingAlert | Refused)
    if isinstance(result, Refused):
        assert "\n" not in result.reason and len(result.reason) < 400
    else:
        _check_accepted(result)


@FUZZ
@given(alert_like)
def test_alert_reader_bounds_what_it_accepts(doc):
    result = parse_alert(_as_bytes(doc))
    assert isinstance(result, IncomingAlert | Refused)
    if isinstance(result, IncomingAlert):
        _check_accepted(result)
    else:
        assert "\n" not in result.reason


@FUZZ
@given(st.one_of(st.binary(max_size=300), values.map(_as_bytes)))
def test_ack_reader_never_raises(raw):
    result = parse_ack(raw, topic_id="a-1")
    assert not isinstance(result, Exception)
    if not isinstance(result, Refused):
        assert result.id == "a-1" and 1 <= len(result.by) <= 80


@FUZZ
@given(
    st.sampled_from(["position", "battery", "state", "mission", "online", "link"]),
    st.one_of(st.binary(max_size=300), values.map(_as_bytes)),
)
def test_telemetry_reader_shows_only_finite_values(record, raw):
    value = _vehicle_value("gp1", record, raw)
    if isinstance(value, Refused):
        return
    store = AlertStore(Path(":memory:"))
    try:
        state = LiveState(store, Hub())
        state.on_vehicle("gp1", record, value)
        strict_json(state.snapshot())  # raises ValueError on NaN or Infinity
    finally:
        store.close()
