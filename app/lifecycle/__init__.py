"""Lifecycle stages and RFM segments: pure rules in `rules`, set-based recompute in `service`."""
