from __future__ import annotations

from enum import StrEnum


class PersonaErrorCode(StrEnum):
    """Failures of persona and roadmap operations."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    # The organization does not meet the eligibility rules; the message says what is missing.
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    # Personas were generated less than the refresh interval ago (an owner can force).
    RATE_LIMITED = "RATE_LIMITED"
    REGENERATION_IN_PROGRESS = "REGENERATION_IN_PROGRESS"
    FORCE_REQUIRES_OWNER = "FORCE_REQUIRES_OWNER"
    # A regeneration "as of" a moment that has not happened yet.
    AS_OF_IN_FUTURE = "AS_OF_IN_FUTURE"


class PersonaSetFailure(StrEnum):
    """Why a persona set ended FAILED (stored in `PersonaSet.error_code`)."""

    # The organization stopped meeting the eligibility rules between request and run.
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    # Fewer customers with a completed order than the minimum (anonymity needs a crowd).
    NOT_ENOUGH_CUSTOMERS = "NOT_ENOUGH_CUSTOMERS"
    # The run did not finish in time (worker killed or lost) and was given up.
    TIMED_OUT = "TIMED_OUT"
    # The run failed too many times.
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # Another set of the organization became current while this one ran.
    SUPERSEDED = "SUPERSEDED"
    # An unexpected error; the log has its type and place.
    INTERNAL_ERROR = "INTERNAL_ERROR"
