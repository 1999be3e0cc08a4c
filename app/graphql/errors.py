"""Error types of mutation payloads, and what the client sees of unexpected errors.

Every payload's `errors` list holds one domain's error type. All of them implement the
`UserError` interface (`field`, `message`) and add a `code` from that domain's enum, so a
client can handle any payload error the same way and still switch on a typed code.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any, Generic, TypeVar, get_args, get_origin

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from app.auth.errors import AccountErrorCode
from app.campaigns.errors import CampaignErrorCode
from app.consent.texts import SmsProgramErrorCode
from app.core.errors import DomainError, PublicError
from app.core.live.errors import LiveErrorCode
from app.customers.errors import CustomerErrorCode
from app.imports.errors import ImportErrorCode
from app.lifecycle.errors import SegmentErrorCode
from app.merges.duplicate_errors import DuplicateErrorCode
from app.merges.errors import MergeErrorCode
from app.orders.errors import OrderErrorCode
from app.organizations.errors import OrganizationErrorCode
from app.personas.errors import PersonaErrorCode
from app.predictions.errors import PredictionErrorCode
from app.privacy_requests.errors import PrivacyRequestErrorCode
from app.rules.errors import EarningRuleErrorCode
from app.wallets.errors import WalletErrorCode

logger = logging.getLogger("app.graphql")

for _codes in (
    CustomerErrorCode,
    AccountErrorCode,
    OrganizationErrorCode,
    WalletErrorCode,
    OrderErrorCode,
    ImportErrorCode,
    PersonaErrorCode,
    DuplicateErrorCode,
    PrivacyRequestErrorCode,
    SegmentErrorCode,
    MergeErrorCode,
    PredictionErrorCode,
    CampaignErrorCode,
    EarningRuleErrorCode,
):
    strawberry.enum(_codes)
strawberry.enum(LiveErrorCode, name="LiveProgressErrorCode")
strawberry.enum(SmsProgramErrorCode, name="SmsSettingsErrorCode")

CodeT = TypeVar("CodeT", bound=StrEnum)


@strawberry.interface(description="Why a mutation did not happen. Each domain adds its `code`.")
class UserError:
    field: str | None = strawberry.field(
        description="The argument or input field at fault; null when no single one is."
    )
    message: str = strawberry.field(description="For a person; never repeats the value sent.")


@strawberry.type
class CodedError(UserError, Generic[CodeT]):
    """A domain's error type: `class XError(CodedError[XErrorCode])`, nothing else."""

    code: CodeT


@strawberry.type(description="Why a customer mutation did not happen.")
class CustomerError(CodedError[CustomerErrorCode]):
    pass


@strawberry.type(description="Why a sign-in, staff or API key mutation did not happen.")
class AccountError(CodedError[AccountErrorCode]):
    pass


@strawberry.type(description="Why an organization, store or signup form mutation did not happen.")
class OrganizationError(CodedError[OrganizationErrorCode]):
    pass


@strawberry.type(description="Why a wallet or loyalty program mutation did not happen.")
class WalletError(CodedError[WalletErrorCode]):
    pass


@strawberry.type(description="Why an order mutation did not happen.")
class OrderError(CodedError[OrderErrorCode]):
    pass


# Named for GraphQL clients as before; the Python name must not shadow the builtin ImportError.
@strawberry.type(
    name="ImportError", description="Why an import mutation did not happen, or why a job failed."
)
class ImportJobError(CodedError[ImportErrorCode]):
    pass


@strawberry.type(description="Why a privacy request was not filed or its export not handed out.")
class PrivacyRequestError(CodedError[PrivacyRequestErrorCode]):
    pass


@strawberry.type(description="Why a persona or roadmap mutation did not happen.")
class PersonaError(CodedError[PersonaErrorCode]):
    pass


@strawberry.type(
    description="Why a duplicate-suggestion or placeholder-settings mutation did not happen."
)
class DuplicateError(CodedError[DuplicateErrorCode]):
    pass


@strawberry.type(description="Why a live progress subscription was refused.")
class LiveProgressError(CodedError[LiveErrorCode]):
    pass


@strawberry.type(description="Why a lifecycle and RFM recompute was not asked for.")
class SegmentError(CodedError[SegmentErrorCode]):
    pass


@strawberry.type(description="Why a prediction model refit was not asked for.")
class PredictionError(CodedError[PredictionErrorCode]):
    pass


@strawberry.type(description="Why a merge or unmerge did not happen.")
class MergeError(CodedError[MergeErrorCode]):
    pass


@strawberry.type(description="Why the SMS settings were not changed.")
class SmsSettingsError(CodedError[SmsProgramErrorCode]):
    pass


@strawberry.type(description="Why a campaign mutation (or a roadmap item apply) did not happen.")
class CampaignError(CodedError[CampaignErrorCode]):
    pass


@strawberry.type(description="Why an earning rule was not created, changed or switched.")
class EarningRuleError(CodedError[EarningRuleErrorCode]):
    pass


ErrorT = TypeVar("ErrorT", bound=CodedError[Any])


def code_enum(kind: type[CodedError[Any]]) -> type[StrEnum]:
    """The code enum a domain's error type was declared with."""
    for base in getattr(kind, "__orig_bases__", ()):
        if get_origin(base) is CodedError:
            (codes,) = get_args(base)
            if isinstance(codes, type) and issubclass(codes, StrEnum):
                return codes
    raise TypeError(f"{kind.__name__} is not declared as CodedError[<code enum>]")


def user_errors(kind: type[ErrorT], exc: DomainError) -> list[ErrorT]:
    """The one converter from a service refusal to a payload's `errors`."""
    codes = code_enum(kind)
    # A code from another domain (a customer rule hit while creating a key, say) is shown
    # under this domain's generic INVALID rather than dropped.
    return [
        kind(
            field=error.field,
            message=error.message,
            code=error.code if isinstance(error.code, codes) else codes("INVALID"),
        )
        for error in exc.errors
    ]


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


# graphql-core words a variable it cannot coerce with the value itself ("..., found: {...}",
# "String cannot represent a non string value: 5"), so an email or a phone sent in the wrong
# place would come back in the error, and into any log or monitoring that keeps errors. The
# reason and the path stay; the value goes.
_COERCION = re.compile(r"^(Variable '\$\w+' has invalid value[^:]*: )(.*)$", re.DOTALL)
_FOUND_VALUE = re.compile(r"[,;.]?\s*[Ff]ound: .*$", re.DOTALL)
_TRAILING_VALUE = re.compile(r"\b(value): .*$", re.DOTALL)


def without_echoed_values(message: str) -> str:
    """The message of a variable coercion error, with the offending value cut out."""
    match = _COERCION.match(message)
    if match is None:
        return message
    prefix, reason = match.groups()
    reason = _FOUND_VALUE.sub(".", reason)
    return prefix + _TRAILING_VALUE.sub(r"\1.", reason)


class MaskAndScrubErrors(MaskErrors):
    """Masks unexpected errors (`should_mask`) and cuts echoed values out of the public ones."""

    def processed(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """The errors as this extension leaves them: for a path that executes outside
        strawberry's own hooks (the compiled POS documents) and must answer alike."""
        return self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed: list[GraphQLError] = []
        for error in super()._process_errors(errors):
            message = without_echoed_values(error.message)
            if message != error.message:
                error = GraphQLError(
                    message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    original_error=None,
                    extensions=error.extensions,
                )
            processed.append(error)
        return processed
