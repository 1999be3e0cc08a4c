"""Errors the service layer raises.

Two families, because clients treat them differently:
- `DomainError` / `ValidationFailed`: an expected refusal of one operation (duplicate email,
  unknown customer). Mutations return them as data in their payload's `errors` list.
- `PublicError`: a refusal of the whole request (no credential, a role that may not do this,
  a malformed argument). GraphQL returns them as top-level errors with `extensions.code`.
Anything else is unexpected: masked from clients and logged without its message.

Messages never contain personal data: they name the field, never echo the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class FieldError:
    code: StrEnum
    message: str
    field: str | None = None


class DomainError(Exception):
    """One expected failure of an operation."""

    def __init__(self, code: StrEnum, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError(self.code, self.message, self.field)]


class ValidationFailed(DomainError):
    """Several field errors found together, so a client can fix a form in one round trip."""

    def __init__(self, errors: list[FieldError]) -> None:
        if not errors:
            raise ValueError("ValidationFailed needs at least one error")
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self._errors = list(errors)

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)


class PublicErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    FORBIDDEN = "FORBIDDEN"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    PAGINATION_LIMIT = "PAGINATION_LIMIT"
    # A cursor sent back under another `sortBy` than the one it was taken under.
    CURSOR_MISMATCH = "CURSOR_MISMATCH"
    CUSTOMER_UNAVAILABLE = "CUSTOMER_UNAVAILABLE"
    VALUE_TOO_LONG = "VALUE_TOO_LONG"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"


class PublicError(Exception):
    """A request-level refusal whose message is safe to show to the client."""

    code: PublicErrorCode = PublicErrorCode.INVALID_ARGUMENT

    def __init__(self, message: str, code: PublicErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def extensions(self) -> dict[str, str]:
        # graphql-core copies `extensions` of the original error into the response.
        return {"code": self.code.value}


class NotAuthenticated(PublicError):
    code = PublicErrorCode.UNAUTHENTICATED


class InvalidCredentials(PublicError):
    code = PublicErrorCode.INVALID_CREDENTIALS


class Forbidden(PublicError):
    code = PublicErrorCode.FORBIDDEN


class InvalidArgument(PublicError):
    code = PublicErrorCode.INVALID_ARGUMENT


class CustomerUnavailable(PublicError):
    """The customer cannot use the program (erased or on the privacy blocklist).

    One code and one message for every reason, so a till learns nothing about why.
    """

    code = PublicErrorCode.CUSTOMER_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("This customer cannot use the loyalty program.")
