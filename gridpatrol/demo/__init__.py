"""``gridpatrol demo``: a whole patrol end to end on one machine (see ``run.py``)."""

from gridpatrol.demo.run import DemoError, DemoOptions, DemoResult, run_demo

__all__ = ["DemoOptions", "DemoResult", "DemoError", "run_demo"]
