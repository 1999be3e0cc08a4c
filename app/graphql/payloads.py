"""The one way mutation payloads are built.

A payload type subclasses `Payload`, gives every data field its empty value as default and
ends with `errors: list[<Domain>Error]` defaulting to an empty list. Success is then
`XPayload(data=...)`; a refusal is `XPayload.failed(exc)`: empty data and the converted errors.
"""

from __future__ import annotations

from typing import Any, Self

from strawberry.types.base import StrawberryList, get_object_definition

from app.core.errors import DomainError
from app.graphql.errors import CodedError, user_errors


def _error_type(payload: type[Payload]) -> type[CodedError[Any]]:
    # The `errors` annotation is the one place a payload names its domain's error type.
    field = get_object_definition(payload, strict=True).get_field("errors")
    kind = field.type if field is not None else None
    item = kind.of_type if isinstance(kind, StrawberryList) else None
    if not (isinstance(item, type) and issubclass(item, CodedError)):
        raise TypeError(f"{payload.__name__}.errors must be a list of a CodedError type")
    return item


class Payload:
    """Base of every mutation payload type."""

    @classmethod
    def failed(cls, exc: DomainError) -> Self:
        # Subclasses are dataclasses whose data fields all default to empty: only `errors`
        # is given, by name, which this base cannot declare without moving it first in SDL.
        fields: dict[str, Any] = {"errors": user_errors(_error_type(cls), exc)}
        return cls(**fields)
