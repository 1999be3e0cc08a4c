"""The schema: root types composed from per-domain classes, and the request guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from app.config import Settings
from app.graphql.accounts.mutations import AccountMutations
from app.graphql.accounts.queries import AccountQueries
from app.graphql.audit.queries import AuditQueries
from app.graphql.campaigns.mutations import CampaignMutations
from app.graphql.campaigns.queries import CampaignQueries
from app.graphql.consent.mutations import ConsentMutations
from app.graphql.consent.queries import ConsentQueries
from app.graphql.customers.mutations import CustomerMutations
from app.graphql.customers.queries import CustomerQueries
from app.graphql.document_cache import DocumentCache
from app.graphql.duplicates.mutations import DuplicateMutations
from app.graphql.duplicates.queries import DuplicateQueries
from app.graphql.errors import MaskAndScrubErrors, should_mask
from app.graphql.guards import GuardSettings, RequestGuards, limit_rules
from app.graphql.imports.mutations import ImportMutations
from app.graphql.imports.queries import ImportQueries
from app.graphql.imports.subscriptions import ImportSubscriptions
from app.graphql.input_limits import describe_limits
from app.graphql.lifecycle.mutations import LifecycleMutations
from app.graphql.merges.mutations import MergeMutations
from app.graphql.merges.queries import MergeQueries
from app.graphql.orders.mutations import OrderMutations
from app.graphql.orders.queries import OrderQueries
from app.graphql.organizations.mutations import OrganizationMutations
from app.graphql.organizations.queries import OrganizationQueries
from app.graphql.personas.mutations import PersonaMutations
from app.graphql.personas.queries import PersonaQueries
from app.graphql.personas.subscriptions import PersonaSubscriptions
from app.graphql.predictions.mutations import PredictionMutations
from app.graphql.predictions.queries import PredictionQueries
from app.graphql.privacy.queries import PrivacyQueries
from app.graphql.privacy_requests.mutations import PrivacyRequestMutations
from app.graphql.privacy_requests.queries import PrivacyRequestQueries
from app.graphql.rules.mutations import EarningRuleMutations
from app.graphql.rules.queries import EarningRuleQueries
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
    DuplicateQueries,
    PrivacyRequestQueries,
    MergeQueries,
    PrivacyQueries,
    ConsentQueries,
    PredictionQueries,
    CampaignQueries,
    EarningRuleQueries,
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
    DuplicateMutations,
    PrivacyRequestMutations,
    LifecycleMutations,
    MergeMutations,
    PredictionMutations,
    ConsentMutations,
    CampaignMutations,
    EarningRuleMutations,
):
    pass


@strawberry.type
class Subscription(ImportSubscriptions, PersonaSubscriptions):
    """Live progress over WebSocket (graphql-transport-ws); see app/graphql/view.py."""


class LoyaltySchema(strawberry.Schema):
    def __init__(self, *, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hide_suggestions = hide_suggestions
        # The maximum length of every string argument, in its description (app.graphql.guards
        # enforces the same numbers).
        describe_limits(self._schema)

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # Variable coercion errors suggest enum values and field names too; validation is
        # told the same in app.graphql.guards.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        kwargs["hide_suggestions"] = self.hide_suggestions
        return kwargs

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry's default logs each error with its message and traceback; messages of
        # database errors can carry personal data. `should_mask` logs the safe parts instead.
        return


def build_schema(settings: Settings) -> LoyaltySchema:
    introspection = settings.is_development
    guards = GuardSettings(
        max_tokens=settings.max_tokens,
        max_document_bytes=settings.max_document_bytes,
        rules=limit_rules(settings.max_query_depth, settings.max_aliases, introspection),
        hide_suggestions=not introspection,
        # One cache per schema: its verdicts hold for this schema's rules only.
        cache=DocumentCache(max_bytes=settings.document_cache_bytes),
    )
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so that it sees the errors as the client will (after masking).
        OperationMetrics,
        lambda: RequestGuards(guards),
        lambda: MaskAndScrubErrors(should_mask_error=should_mask),
    ]
    return LoyaltySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        hide_suggestions=not introspection,
    )


def schema_sdl() -> str:
    """The SDL checked in as schema.graphql; independent of runtime settings."""
    return LoyaltySchema(query=Query, mutation=Mutation, subscription=Subscription).as_str() + "\n"
