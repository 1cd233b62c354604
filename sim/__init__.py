"""Simulation: the ArduPilot SITL harness and synthetic aerial footage with ground truth."""
