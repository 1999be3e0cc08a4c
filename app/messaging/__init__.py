"""Sending texts: segment counting, quiet hours, recipients' time zones and SMS providers."""
