"""Frame flagging: frame sources, detectors, privacy masking, geotagging and alerts."""
