"""Telemetry: MAVLink links, decoding, normalised records, the spool and the MQTT publisher."""
