"""The patrol runner: flies a planned day of patrols, recovers from trouble, takes check tasks.

``runner.PatrolRunner`` is the loop; each concept has its own module: the schedule clock
(``clock``), the state kept in SQLite (``store``), the rules of restart, lateness and
confirmation (``rules``), the launch go (``confirm``), the centre's check requests (``tasks``),
the door to the re-planner (``planning``), one sortie from preflight to the ground
(``sortie_run``), the drones (``vehicles``) and what is said on MQTT (``broker``, ``outbox``).
"""

from centre.runner.errors import RunnerError
from centre.runner.runner import PatrolRunner, RunnerConfig, RunSummary
from centre.runner.schedule_file import load_schedule

__all__ = ["PatrolRunner", "RunnerConfig", "RunSummary", "RunnerError", "load_schedule"]
