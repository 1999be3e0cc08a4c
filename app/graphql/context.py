"""The per-request context every resolver receives."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import strawberry
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from app.auth.principal import Principal
from app.campaigns import service as campaigns
from app.campaigns.roadmap_apply import Application, applications
from app.config import Settings
from app.core.errors import NotAuthenticated, PublicError
from app.customers import service as customers
from app.graphql.dataloader import SharedDataLoader
from app.graphql.duplicates.loaders import customer_suggestions_loader
from app.graphql.personas.loaders import customer_persona_loader, roadmap_loader
from app.graphql.predictions.loaders import prediction_model_loader
from app.imports import sms_schedule
from app.imports.sms_schedule import ImportTexts
from app.merges.suggestion_service import SuggestionView
from app.models.campaign import Campaign
from app.models.earning_rule import EarningRule
from app.models.organization import SignupForm, Store
from app.models.persona import Persona, RoadmapItem
from app.models.prediction import PredictionModel
from app.organizations import service as organizations
from app.rules import service as rules


class _Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


Row = TypeVar("Row", bound=_Identified)


def _by_id_loader(
    principal: Principal,
    fetch: Callable[[Principal, list[uuid.UUID]], Awaitable[Sequence[Row]]],
) -> DataLoader[uuid.UUID, Row | None]:
    """Batch loads of organization-owned rows through their service: one query per request."""

    async def load(keys: list[uuid.UUID]) -> list[Row | None]:
        found = {row.id: row for row in await fetch(principal, keys)}
        return [found.get(k) for k in keys]

    return SharedDataLoader(load_fn=load)


def _import_texts_loader(principal: Principal) -> DataLoader[uuid.UUID, ImportTexts]:
    async def load(keys: list[uuid.UUID]) -> list[ImportTexts]:
        counts = await sms_schedule.import_texts(principal, keys)
        return [counts[k] for k in keys]

    return SharedDataLoader(load_fn=load)


def _referral_count_loader(principal: Principal) -> DataLoader[uuid.UUID, int]:
    async def load(keys: list[uuid.UUID]) -> list[int]:
        return await customers.referral_counts(principal, keys)

    return SharedDataLoader(load_fn=load)


def _roadmap_application_loader(
    principal: Principal,
) -> DataLoader[uuid.UUID, Application | None]:
    """Roadmap item id -> the campaign or earning rule it was applied as."""

    async def load(keys: list[uuid.UUID]) -> list[Application | None]:
        found = await applications(principal, keys)
        return [found.get(k) for k in keys]

    return SharedDataLoader(load_fn=load)


@dataclass
class Loaders:
    stores: DataLoader[uuid.UUID, Store | None]
    signup_forms: DataLoader[uuid.UUID, SignupForm | None]
    referral_counts: DataLoader[uuid.UUID, int]
    customer_personas: DataLoader[uuid.UUID, Persona | None]
    roadmaps: DataLoader[uuid.UUID, list[RoadmapItem]]
    duplicate_suggestions: DataLoader[uuid.UUID, list[SuggestionView]]
    prediction_models: DataLoader[uuid.UUID, PredictionModel | None]
    import_texts: DataLoader[uuid.UUID, ImportTexts]
    campaigns: DataLoader[uuid.UUID, Campaign | None]
    roadmap_applications: DataLoader[uuid.UUID, Application | None]
    earning_rules: DataLoader[uuid.UUID, EarningRule | None]

    @classmethod
    def for_principal(cls, principal: Principal) -> Loaders:
        organization_id = principal.organization_id
        return cls(
            stores=_by_id_loader(principal, organizations.stores_by_ids),
            signup_forms=_by_id_loader(principal, organizations.signup_forms_by_ids),
            referral_counts=_referral_count_loader(principal),
            customer_personas=customer_persona_loader(organization_id),
            roadmaps=roadmap_loader(organization_id),
            duplicate_suggestions=customer_suggestions_loader(principal),
            prediction_models=prediction_model_loader(principal),
            import_texts=_import_texts_loader(principal),
            campaigns=_by_id_loader(principal, campaigns.campaigns_by_ids),
            roadmap_applications=_roadmap_application_loader(principal),
            earning_rules=_by_id_loader(principal, rules.rules_by_ids),
        )


@dataclass
class Context:
    # The HTTP request, or the WebSocket of a live subscription.
    request: HTTPConnection
    settings: Settings
    # Set when the Authorization header held a valid credential.
    authenticated: Principal | None = None
    # Set when a credential was sent but refused (expired, revoked, unknown).
    auth_error: PublicError | None = None
    bearer: str | None = None
    # WebSocket: the payload of `connection_init` (where the credential travels).
    connection_params: dict[str, object] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def principal(self) -> Principal:
        if self.authenticated is None:
            raise self.auth_error or NotAuthenticated("Sign in or send an API key.")
        return self.authenticated

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders.for_principal(self.principal)
        return self._loaders


# The one name resolvers annotate `info` with; every module imports it from here.
Info = strawberry.Info[Context, None]
