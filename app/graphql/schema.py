"""The schema: root types composed from per-domain classes, and the request guards."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from app.config import Settings
from app.graphql.accounts.mutations import AccountMutations
from app.graphql.accounts.queries import AccountQueries
from app.graphql.audit.queries import AuditQueries
from app.graphql.customers.mutations import CustomerMutations
from app.graphql.customers.queries import CustomerQueries
from app.graphql.errors import should_mask
from app.graphql.guards import RequestGuards, limit_rules
from app.graphql.imports.mutations import ImportMutations
from app.graphql.imports.queries import ImportQueries
from app.graphql.orders.mutations import OrderMutations
from app.graphql.orders.queries import OrderQueries
from app.graphql.organizations.mutations import OrganizationMutations
from app.graphql.organizations.queries import OrganizationQueries
from app.graphql.personas.mutations import PersonaMutations
from app.graphql.personas.queries import PersonaQueries
from app.graphql.wallets.mutations import WalletMutations
from app.graphql.wallets.queries import WalletQueries
from app.metrics.graphql import OperationMetrics


@strawberry.type
class Query(
    CustomerQueries,
    WalletQueries,
    OrderQueries,
    AccountQueries,
    OrganizationQueries,
    AuditQueries,
    ImportQueries,
    PersonaQueries,
):
    pass


@strawberry.type
class Mutation(
    CustomerMutations,
    WalletMutations,
    OrderMutations,
    AccountMutations,
    OrganizationMutations,
    ImportMutations,
    PersonaMutations,
):
    pass


class LoyaltySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry's default logs each error with its message and traceback; messages of
        # database errors can carry personal data. `should_mask` logs the safe parts instead.
        return


def build_schema(settings: Settings) -> LoyaltySchema:
    rules = limit_rules(settings.max_query_depth, settings.max_aliases, settings.is_development)
    max_tokens = settings.max_tokens
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so that it sees the errors as the client will (after masking).
        OperationMetrics,
        lambda: RequestGuards(max_tokens, rules),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: MaskErrors(should_mask_error=should_mask),
    ]
    return LoyaltySchema(query=Query, mutation=Mutation, extensions=extensions)


def schema_sdl() -> str:
    """The SDL checked in as schema.graphql; independent of runtime settings."""
    return strawberry.Schema(query=Query, mutation=Mutation).as_str() + "\n"
