"""Why a live subscription was refused."""

from __future__ import annotations

from enum import StrEnum


class LiveErrorCode(StrEnum):
    INVALID = "INVALID"
    # No such job in the caller's organization (another organization's job looks the same).
    NOT_FOUND = "NOT_FOUND"
    # The credential holder already has as many subscriptions open as allowed.
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
