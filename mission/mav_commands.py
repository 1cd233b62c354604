"""The MAV_CMD numbers a MAVLink mission may hold (ArduPilot's dialect), as plain data.

``mission`` plans and checks without pymavlink (talking MAVLink is ``vehicle``'s job), yet the
well-formedness check must refuse a command number no autopilot knows. This is the set from
pymavlink's ``ardupilotmega`` dialect; a test compares it with the installed dialect, so an
upgrade that adds commands fails loudly instead of refusing them.
"""

from __future__ import annotations

__all__ = ["KNOWN_COMMANDS"]

_RANGES = (
    (16, 25),
    (30, 36),
    (80, 85),
    (92, 95),
    (112, 115),
    (159, 159),
    (176, 198),
    (200, 218),
    (220, 224),
    (240, 243),
    (245, 246),
    (252, 252),
    (260, 260),
    (262, 262),
    (300, 300),
    (310, 311),
    (400, 401),
    (405, 406),
    (410, 410),
    (420, 420),
    (500, 500),
    (510, 512),
    (519, 522),
    (525, 534),
    (600, 601),
    (1000, 1001),
    (2000, 2005),
    (2010, 2010),
    (2500, 2505),
    (2510, 2511),
    (2520, 2520),
    (2600, 2600),
    (2800, 2800),
    (3000, 3001),
    (4000, 4001),
    (4501, 4501),
    (5000, 5004),
    (5100, 5100),
    (5200, 5200),
    (5300, 5300),
    (10001, 10001),
    (10151, 10151),
    (30001, 30002),
    (31000, 31014),
    (32000, 32000),
    (42000, 42007),
    (42424, 42429),
    (42501, 42503),
    (42505, 42505),
    (42600, 42600),
    (42650, 42651),
    (42700, 42703),
    (43000, 43003),
    (43005, 43005),
)

KNOWN_COMMANDS: frozenset[int] = frozenset(n for lo, hi in _RANGES for n in range(lo, hi + 1))
