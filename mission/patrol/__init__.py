"""Patrols over the key areas: irregular sorties that still meet every revisit limit."""
