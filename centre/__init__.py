"""The command centre: the alert store, the live web page and the static patrol report.

It sits over ``telemetry`` (MQTT records of the drones) and ``vision`` (alerts with evidence) and
follows the patrol runner's sorties, tasks and timeline; what it writes back to the broker is an
acknowledgement, a check request or a launch confirmation.
"""
