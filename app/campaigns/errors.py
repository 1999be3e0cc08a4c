"""Why a campaign operation was refused. Messages never repeat a value sent."""

from __future__ import annotations

from enum import StrEnum


class CampaignErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    # Points per customer must be a positive whole number within the per-entry limit.
    INVALID_POINTS = "INVALID_POINTS"
    # A condition of the audience is malformed or names something the organization lacks.
    INVALID_AUDIENCE = "INVALID_AUDIENCE"
    # The audience selects nobody today: scheduling it would credit nothing.
    EMPTY_AUDIENCE = "EMPTY_AUDIENCE"
    SCHEDULED_IN_PAST = "SCHEDULED_IN_PAST"
    # The campaign's status does not allow this (editing a running one, cancelling a
    # completed one, scheduling one that is not a draft).
    WRONG_STATUS = "WRONG_STATUS"
    # A roadmap item whose suggestion is not a campaign (or a rule) cannot be applied.
    NOT_APPLICABLE = "NOT_APPLICABLE"


class CampaignFailure(StrEnum):
    """Why a campaign ended FAILED (stored in `Campaign.error_code`)."""

    # An unexpected error, or too many tries; the log has its type and place.
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # The stored audience no longer reads as a filter (it is checked when written).
    INVALID_AUDIENCE = "INVALID_AUDIENCE"
