"""The compiled path in front of strawberry: match a request to a compiled operation, run it,
answer through the view's own response pipeline; anything else is left to strawberry.

A query text is compiled at most once: parsed with the token limit and validated with the
schema's own rules (the depth, alias and introspection guards included), exactly as
strawberry would, then planned; the verdict, a plan or "not compilable", is cached by text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

import strawberry
from graphql import GraphQLError, parse, specified_rules
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult

from app.graphql.context import Context
from app.graphql.errors import MaskAndScrubErrors
from app.graphql.guards import RequestGuards
from app.graphql.persisted.compiler import (
    Bailout,
    CompiledOperation,
    Unsupported,
    compile_operation,
)
from app.graphql.persisted.documents import (
    NOT_FOUND_CODE,
    NOT_FOUND_MESSAGE,
    DocumentStore,
    persisted_hash,
)
from app.graphql.persisted.operations import POS_DOCUMENTS, ROOT_FIELDS, RootField
from app.metrics.graphql import OperationMetrics, observe_operation

logger = logging.getLogger("app.graphql.persisted")

# The schema extensions whose effect the compiled path reproduces: the guards when compiling,
# the masking on every error, the metrics below; the parser and validation caches change
# nothing visible. Any other extension could act on execution, so its presence turns the
# compiled path off.
KNOWN_EXTENSIONS = (
    RequestGuards,
    ParserCache,
    ValidationCache,
    MaskAndScrubErrors,
    OperationMetrics,
)
VERDICT_CACHE_SIZE = 512

ExtensionT = TypeVar("ExtensionT", bound=SchemaExtension)


class View(Protocol):
    """What the compiled path uses of the GraphQL view (LoyaltyGraphQL)."""

    def decode_json(self, data: str | bytes) -> object: ...

    async def get_sub_response(self, request: Request) -> Response: ...

    async def get_context(self, request: Request, response: Response) -> Context: ...

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse: ...

    def _handle_errors(
        self, errors: list[GraphQLError], response_data: GraphQLHTTPResponse
    ) -> None: ...

    def create_response(
        self, response_data: GraphQLHTTPResponse, sub_response: Response
    ) -> Response: ...


@dataclass
class Stats:
    """Counters for tests and diagnostics (never request contents)."""

    compiled: int = 0
    fallbacks: int = 0
    bailouts: int = 0
    persisted_hits: int = 0
    persisted_misses: int = 0


def _one(extensions: list[SchemaExtension], kind: type[ExtensionT]) -> ExtensionT:
    found = [e for e in extensions if isinstance(e, kind)]
    if len(found) != 1:
        raise Unsupported(f"{len(found)} {kind.__name__} extensions")
    return found[0]


class PersistedOperations:
    def __init__(
        self,
        schema: strawberry.Schema,
        roots: Iterable[RootField] = ROOT_FIELDS,
        documents: Mapping[str, str] = POS_DOCUMENTS,
        cache_size: int = VERDICT_CACHE_SIZE,
    ) -> None:
        extensions = schema.get_extensions()
        unknown = sorted(
            {type(e).__name__ for e in extensions if not isinstance(e, KNOWN_EXTENSIONS)}
        )
        if unknown:
            raise Unsupported(f"schema extensions {', '.join(unknown)}")
        if schema.exception_handlers or schema.config.enable_experimental_incremental_execution:
            raise Unsupported("exception handlers or incremental execution")
        guards = _one(extensions, RequestGuards)
        self._masker = _one(extensions, MaskAndScrubErrors)
        self.schema = schema
        self.roots = tuple(roots)
        self._root_names = tuple(r.name for r in self.roots)
        self._max_tokens = guards.settings.max_tokens
        self._max_document_bytes = guards.settings.max_document_bytes
        # What strawberry validates with: graphql's rules, then the guards' (RequestGuards
        # appends them in this order, and `validate_document` adds strawberry's own two).
        self._rules = (*specified_rules, *guards.settings.rules)
        self._verdict = lru_cache(maxsize=cache_size)(self._compile)
        self.documents = DocumentStore()
        self.stats = Stats()
        # The POS documents, compiled now: a schema change that breaks one fails at startup.
        self.pinned: dict[str, CompiledOperation] = {}
        for text in documents.values():
            self.pinned[text] = self._compile_or_raise(text)
            self.documents.pin(text)

    @classmethod
    def for_schema(cls, schema: BaseSchema) -> PersistedOperations | None:
        try:
            if not isinstance(schema, strawberry.Schema):
                raise Unsupported(f"a {type(schema).__name__}")
            operations = cls(schema)
        except Unsupported as exc:
            logger.warning("compiled POS operations are off: %s", exc.reason)
            return None
        logger.info("compiled POS operations: %s", ", ".join(POS_DOCUMENTS))
        return operations

    # --- compiling --------------------------------------------------------------------------

    def _compile_or_raise(self, text: str) -> CompiledOperation:
        try:
            document = parse(text, max_tokens=self._max_tokens)
        except Exception as exc:
            raise Unsupported("does not parse") from exc
        if validate_document(self.schema._schema, document, self._rules):
            raise Unsupported("does not validate")
        return compile_operation(self.schema, document, self.roots)

    def _compile(self, text: str) -> CompiledOperation | None:
        try:
            return self._compile_or_raise(text)
        except Unsupported as exc:
            # The reason names a rule or a schema field, never a value of the request.
            logger.debug("left to the general path: %s", exc.reason)
            return None

    def operation_for(self, text: str) -> CompiledOperation | None:
        """The plan of a query text, or None (cached either way)."""
        pinned = self.pinned.get(text)
        if pinned is not None:
            return pinned
        limit = self._max_document_bytes
        if len(text) * 4 > limit and len(text.encode()) > limit:
            # Never parsed nor cached here: strawberry's path refuses it (RequestGuards).
            return None
        # A text that names no compiled root field cannot compile: skip the parse.
        if not any(name in text for name in self._root_names):
            return None
        return self._verdict(text)

    # --- serving ----------------------------------------------------------------------------

    @staticmethod
    def wants(scope: Scope) -> bool:
        """Only JSON POSTs can be compiled operations; GraphiQL, uploads and the rest go
        straight to strawberry, without their body being touched."""
        if scope["method"] != "POST":
            return False
        for name, value in scope["headers"]:
            if name == b"content-type":
                mime: bytes = value.split(b";", 1)[0].strip().lower()
                return mime == b"application/json"
        return False

    async def respond(self, request: Request, view: View) -> Response | None:
        """The answer to a compiled operation; None leaves the request to strawberry (which
        reads the body Starlette kept)."""
        try:
            data = view.decode_json(await request.body())
        except ValueError:
            return None
        if type(data) is not dict:
            return None
        query = data.get("query")
        extensions = data.get("extensions")
        digest = persisted_hash(extensions)
        if query is None and digest is not None:
            query = self.documents.get(digest)
            if query is None:
                self.stats.persisted_misses += 1
                return await self._persisted_query_not_found(request, view)
            self.stats.persisted_hits += 1
        elif type(query) is not str:
            return None
        elif digest is not None and not self.documents.remember(digest, query):
            # A hash that is not the text's: strawberry runs the text, as it always did.
            query = None
        operation = self.operation_for(query) if query is not None else None
        if operation is None:
            self.stats.fallbacks += 1
            return None
        operation_name = data.get("operationName")
        variables = data.get("variables")
        if (
            (operation_name is not None and operation_name != operation.name)
            or (variables is not None and type(variables) is not dict)
            or (extensions is not None and type(extensions) is not dict)
        ):
            # Strawberry's own answer (HTTP 400) for these.
            self.stats.fallbacks += 1
            return None

        sub_response = await view.get_sub_response(request)
        context = await view.get_context(request, sub_response)
        try:
            result = await operation.execute(context, variables or {})
        except Bailout:
            self.stats.bailouts += 1
            return None
        if result.errors:
            result.errors = self._processed(result.errors)
        principal = context.authenticated
        observe_operation(
            operation.name, principal.organization_id if principal else None, result.errors
        )
        response_data = await view.process_result(request, result)
        if result.errors:
            view._handle_errors(result.errors, response_data)
        self.stats.compiled += 1
        return view.create_response(response_data, sub_response)

    def _processed(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """What strawberry does to execution errors: `process_errors`, then masking."""
        self.schema.process_errors(errors, None)
        # The schema's own masking step (it also cuts echoed values out of public errors), so
        # both paths answer with the same bytes.
        return self._masker.processed(errors)

    async def _persisted_query_not_found(self, request: Request, view: View) -> Response:
        # Apollo's answer: the client sends the text along with the hash next time.
        body: GraphQLHTTPResponse = {
            "errors": [{"message": NOT_FOUND_MESSAGE, "extensions": {"code": NOT_FOUND_CODE}}]
        }
        return view.create_response(body, await view.get_sub_response(request))

    def with_persisted_text(
        self, data: GraphQLRequestData | list[GraphQLRequestData]
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """For strawberry's parsing of a request: the text of a known persisted-query hash."""
        if isinstance(data, GraphQLRequestData) and data.query is None:
            digest = persisted_hash(data.extensions)
            if digest is not None:
                data.query = self.documents.get(digest)
        return data
