"""Request guards in one schema extension: document size, tokens, depth and aliases
(and introspection), the parse/validation cache, and the checks of every string argument.

Strawberry runs every extension's hooks on every request; one extension doing what
MaxTokensLimiter, AddValidationRules, ParserCache and ValidationCache each did costs one set of
hooks instead of four. The validation rules are built once, because cached verdicts are only
valid for the rules they were reached with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import ASTValidationRule, ExecutionResult, GraphQLError, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.websockets import WebSocket
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from app.body_limit import describe_size
from app.core.errors import InvalidArgument, PublicError, PublicErrorCode
from app.graphql.document_cache import CachedDocument, DocumentCache
from app.graphql.input_limits import ArgumentChecks


@lru_cache(maxsize=8)
def limit_rules(
    max_depth: int, max_aliases: int, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        # strawberry adds these two when it validates; this extension validates instead.
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


OVER_WEBSOCKET_ONLY = (
    "Subscriptions are served over WebSocket (graphql-transport-ws) on this same path."
)


class DocumentTooLarge(PublicError):
    code = PublicErrorCode.DOCUMENT_TOO_LARGE


@dataclass(frozen=True)
class GuardSettings:
    max_tokens: int
    max_document_bytes: int
    rules: tuple[type[ASTValidationRule], ...]
    # Without introspection, error messages must not leak the schema either ("Did you
    # mean 'customer'?").
    hide_suggestions: bool
    cache: DocumentCache


class RequestGuards(SchemaExtension):
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self.cached: CachedDocument | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        limit = self.settings.max_document_bytes
        # A character is at most 4 bytes: most documents need no encoding to be measured.
        if query is not None and len(query) * 4 > limit and len(query.encode()) > limit:
            # Refused before the parser or any cache sees it.
            raise DocumentTooLarge(
                f"The query document is larger than the limit of {describe_size(limit)}."
            )
        # The parser stops counting at the limit, so a huge document costs no more than that.
        context.parse_options["max_tokens"] = self.settings.max_tokens
        context.validation_rules = context.validation_rules + self.settings.rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            self.cached = self.settings.cache.get(context.query)
            if self.cached is not None:
                context.graphql_document = self.cached.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        cached = self.cached
        if cached is None or cached.errors is None:
            errors = validate(
                context.schema._schema,
                document,
                context.validation_rules,
                hide_suggestions=self.settings.hide_suggestions,
            )
            if context.query is not None:
                cached = CachedDocument(document, errors)
                self.settings.cache.put(context.query, cached)
                self.cached = cached
        else:
            errors = cached.errors
        context.pre_execution_errors = errors
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is OperationType.SUBSCRIPTION and not isinstance(
            getattr(context.context, "request", None), WebSocket
        ):
            # Over HTTP strawberry would run the subscription's generator as a plain resolver.
            refusal = InvalidArgument(OVER_WEBSOCKET_ONLY)
            error = GraphQLError(refusal.args[0], original_error=refusal)
            context.result = ExecutionResult(data=None, errors=[error])
            yield
            return
        cached = self.cached
        checks: ArgumentChecks | None = None
        if cached is not None and cached.argument_checks is not None:
            checks = cached.argument_checks.get(context.operation_name)
        if checks is None:
            assert context.graphql_document is not None
            checks = ArgumentChecks.of(
                context.schema._schema, context.graphql_document, context.operation_name
            )
            if cached is not None:
                if cached.argument_checks is None:
                    cached.argument_checks = {}
                cached.argument_checks[context.operation_name] = checks
        errors = checks.errors(context.variables)
        if errors:
            if context.operation_type is OperationType.SUBSCRIPTION:
                # A subscription ignores a result set here; an error raised from this hook is
                # what strawberry sends instead of starting the stream.
                raise errors[0]
            # Nothing runs: strawberry skips execution when a result is already there.
            context.result = ExecutionResult(data=None, errors=errors)
        yield
