"""GraphQL operations: a bounded operation-name label and error codes, recorded by a schema
extension on strawberry's path and by the compiled POS path (app.graphql.persisted)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from app.metrics.registry import GRAPHQL_ERRORS
from app.request_context import note_operation, note_organization

# Unnamed operations share one label; documents that did not parse have no operation; names
# past the cap share the last label, so a client inventing names cannot grow the series.
ANONYMOUS = "anonymous"
UNPARSED = "invalid"
OVERFLOW = "other"
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")

# Codes are constants of the code base (PublicErrorCode, PERSISTED_QUERY_NOT_FOUND, ...), so
# their set is bounded; anything else shaped otherwise is counted as OTHER.
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
# Errors without a code: what the client sent is not a valid document (syntax or
# validation), or an unexpected error was masked.
INVALID_DOCUMENT = "GRAPHQL_INVALID"
UNEXPECTED = "UNEXPECTED"
OTHER_CODE = "OTHER"
MASKED_MESSAGE = "Unexpected error."


class OperationNames:
    """The label for an operation name: the name itself while fewer than `limit` distinct
    names have been seen, else OVERFLOW."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        if name in self._seen:
            return name
        if not _NAME.fullmatch(name) or len(self._seen) >= self.limit:
            return OVERFLOW
        self._seen.add(name)
        return name


OPERATION_NAMES = OperationNames()


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code if _CODE.fullmatch(code) else OTHER_CODE
    if error.message == MASKED_MESSAGE and error.original_error is None:
        return UNEXPECTED
    return INVALID_DOCUMENT


def observe_operation(
    name: str | None, organization_id: object, errors: Iterable[GraphQLError] | None
) -> None:
    """Record what one GraphQL request was; the HTTP middleware turns it into samples when
    the response has been sent (app.metrics.http)."""
    codes = [error_code(e) for e in errors or ()]
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()
    note_operation(OPERATION_NAMES.label(name), codes)
    if organization_id is not None:
        note_organization(organization_id)  # type: ignore[arg-type]


def _document_operation_name(extension: SchemaExtension) -> str | None:
    """The name of the operation that ran, taken from the parsed document only: the
    `operationName` a client sends is any string until it matches a definition."""
    context = extension.execution_context
    document = context.graphql_document
    if document is None:
        return None
    wanted = context._provided_operation_name
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            if wanted is None or name == wanted:
                return name
    return None


class OperationMetrics(SchemaExtension):
    """Notes the operation name, the organization and the error codes of each request."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        principal = getattr(context.context, "authenticated", None)
        name = UNPARSED if context.graphql_document is None else _document_operation_name(self)
        result = context.result
        errors = result.errors if result is not None else context.pre_execution_errors
        observe_operation(name, getattr(principal, "organization_id", None), errors)
