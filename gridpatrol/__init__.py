"""The application face of gridpatrol: the CLI, the config and the wiring of the demo."""
