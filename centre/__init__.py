"""The command centre: the alert store, the live web page and the static patrol report.

It sits over ``telemetry`` (MQTT records of the drones) and ``vision`` (alerts with evidence) and
only reads what they publish; the one thing it writes back to the broker is an acknowledgement.
"""
