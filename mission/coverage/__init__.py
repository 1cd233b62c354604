"""Coverage sweeps over an area: swath generation, angle choice, routing and sortie splitting."""
