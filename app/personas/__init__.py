"""Personas: anonymous, explained portraits of an organization's customer base."""
