"""Error types of mutation payloads, and what the client sees of unexpected errors."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from app.auth.errors import AccountErrorCode
from app.core.errors import DomainError, FieldError, PublicError
from app.customers.errors import CustomerErrorCode
from app.imports.errors import ImportErrorCode
from app.orders.errors import OrderErrorCode
from app.organizations.errors import OrganizationErrorCode
from app.personas.errors import PersonaErrorCode
from app.wallets.errors import WalletErrorCode

logger = logging.getLogger("app.graphql")

CustomerErrorCodeEnum = strawberry.enum(CustomerErrorCode, name="CustomerErrorCode")
AccountErrorCodeEnum = strawberry.enum(AccountErrorCode, name="AccountErrorCode")
OrganizationErrorCodeEnum = strawberry.enum(OrganizationErrorCode, name="OrganizationErrorCode")
WalletErrorCodeEnum = strawberry.enum(WalletErrorCode, name="WalletErrorCode")
OrderErrorCodeEnum = strawberry.enum(OrderErrorCode, name="OrderErrorCode")
ImportErrorCodeEnum = strawberry.enum(ImportErrorCode, name="ImportErrorCode")
PersonaErrorCodeEnum = strawberry.enum(PersonaErrorCode, name="PersonaErrorCode")


@strawberry.type(description="Why a customer mutation did not happen.")
class CustomerError:
    field: str | None
    message: str
    code: CustomerErrorCode


@strawberry.type(description="Why a sign-in, staff or API key mutation did not happen.")
class AccountError:
    field: str | None
    message: str
    code: AccountErrorCode


@strawberry.type(description="Why an organization, store or signup form mutation did not happen.")
class OrganizationError:
    field: str | None
    message: str
    code: OrganizationErrorCode


@strawberry.type(description="Why a wallet or loyalty program mutation did not happen.")
class WalletError:
    field: str | None
    message: str
    code: WalletErrorCode


@strawberry.type(description="Why an order mutation did not happen.")
class OrderError:
    field: str | None
    message: str
    code: OrderErrorCode


@strawberry.type(description="Why an import mutation did not happen, or why a job failed.")
class ImportError:
    field: str | None
    message: str
    code: ImportErrorCode


@strawberry.type(description="Why a persona or roadmap mutation did not happen.")
class PersonaError:
    field: str | None
    message: str
    code: PersonaErrorCode


ErrorT = TypeVar(
    "ErrorT",
    CustomerError,
    AccountError,
    OrganizationError,
    WalletError,
    OrderError,
    ImportError,
    PersonaError,
)
CodeT = TypeVar("CodeT", bound=StrEnum)


def _convert(kind: type[ErrorT], code_type: type[CodeT], error: FieldError) -> ErrorT:
    # A code from another domain (a customer rule hit while creating a key, say) is shown
    # under this domain's generic INVALID rather than dropped.
    code = error.code if isinstance(error.code, code_type) else code_type("INVALID")
    return kind(field=error.field, message=error.message, code=code)  # type: ignore[arg-type]


def customer_errors(exc: DomainError) -> list[CustomerError]:
    return [_convert(CustomerError, CustomerErrorCode, e) for e in exc.errors]


def account_errors(exc: DomainError) -> list[AccountError]:
    return [_convert(AccountError, AccountErrorCode, e) for e in exc.errors]


def organization_errors(exc: DomainError) -> list[OrganizationError]:
    return [_convert(OrganizationError, OrganizationErrorCode, e) for e in exc.errors]


def wallet_errors(exc: DomainError) -> list[WalletError]:
    return [_convert(WalletError, WalletErrorCode, e) for e in exc.errors]


def order_errors(exc: DomainError) -> list[OrderError]:
    return [_convert(OrderError, OrderErrorCode, e) for e in exc.errors]


def import_errors(exc: DomainError) -> list[ImportError]:
    return [_convert(ImportError, ImportErrorCode, e) for e in exc.errors]


def persona_errors(exc: DomainError) -> list[PersonaError]:
    return [_convert(PersonaError, PersonaErrorCode, e) for e in exc.errors]


def is_public(error: GraphQLError) -> bool:
    """Syntax, validation and request-level refusals are shown; everything else is masked."""
    original = error.original_error
    # A GraphQLError as the cause is graphql-core's own verdict on the request (a variable
    # of the wrong type, say): the client's mistake, worded without data of ours.
    return original is None or isinstance(original, PublicError | GraphQLError)


def should_mask(error: GraphQLError) -> bool:
    if is_public(error):
        return False
    original = error.original_error
    # The message of a database error can hold the value that collided (an email): log the
    # type and the place only, never the message.
    tb = original.__traceback__ if original is not None else None
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    logger.error(
        "unexpected error in resolver path=%s type=%s at=%s",
        ".".join(str(p) for p in error.path or []),
        type(original).__name__,
        where,
    )
    return True
