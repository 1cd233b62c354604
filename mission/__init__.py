"""Mission planning: the district model, coverage sweeps, patrols, safety checks, formats, transfer.

Imports none of the other gridpatrol packages.
"""
