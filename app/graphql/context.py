"""The per-request context every resolver receives."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError
from starlette.requests import Request
from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from app.auth.principal import Principal
from app.config import Settings
from app.core.errors import NotAuthenticated, PublicError
from app.graphql.dataloader import SharedDataLoader
from app.graphql.personas.loaders import customer_persona_loader, roadmap_loader
from app.models.customer import Customer
from app.models.organization import SignupForm, Store
from app.models.persona import Persona, RoadmapItem
from workers.lifecycle import enqueue_segment_refresh

logger = logging.getLogger("app.graphql")


def _by_id_loader(model: Any, organization_id: uuid.UUID) -> DataLoader[uuid.UUID, Any]:
    """Batch loads of organization-owned rows: one query per request per kind."""

    async def load(keys: list[uuid.UUID]) -> list[Any]:
        rows = await model.filter(id__in=keys, organization_id=organization_id)
        found = {row.id: row for row in rows}
        return [found.get(k) for k in keys]

    return SharedDataLoader(load_fn=load)


def _referral_count_loader(organization_id: uuid.UUID) -> DataLoader[uuid.UUID, int]:
    async def load(keys: list[uuid.UUID]) -> list[int]:
        rows = (
            await Customer.filter(organization_id=organization_id, referred_by_id__in=keys)
            .annotate(n=Count("id"))
            .group_by("referred_by_id")
            .values("referred_by_id", "n")
        )
        counts = {row["referred_by_id"]: int(row["n"]) for row in rows}
        return [counts.get(k, 0) for k in keys]

    return SharedDataLoader(load_fn=load)


@dataclass
class Loaders:
    stores: DataLoader[uuid.UUID, Store | None]
    signup_forms: DataLoader[uuid.UUID, SignupForm | None]
    referral_counts: DataLoader[uuid.UUID, int]
    customer_personas: DataLoader[uuid.UUID, Persona | None]
    roadmaps: DataLoader[uuid.UUID, list[RoadmapItem]]

    @classmethod
    def for_organization(cls, organization_id: uuid.UUID) -> Loaders:
        return cls(
            stores=_by_id_loader(Store, organization_id),
            signup_forms=_by_id_loader(SignupForm, organization_id),
            referral_counts=_referral_count_loader(organization_id),
            customer_personas=customer_persona_loader(organization_id),
            roadmaps=roadmap_loader(organization_id),
        )


@dataclass
class Context:
    request: Request
    settings: Settings
    # Set when the Authorization header held a valid credential.
    authenticated: Principal | None = None
    # Set when a credential was sent but refused (expired, revoked, unknown).
    auth_error: PublicError | None = None
    bearer: str | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def principal(self) -> Principal:
        if self.authenticated is None:
            raise self.auth_error or NotAuthenticated("Sign in or send an API key.")
        return self.authenticated

    async def after_order(self, organization_id: uuid.UUID) -> None:
        """Orders change lifecycle stages and RFM scores: ask for a (debounced) recompute.

        After the commit, as every enqueue; if Redis is down the nightly refresh catches up.
        """
        resources = getattr(self.request.app.state, "resources", None)
        redis = getattr(resources, "redis", None)
        if redis is None:
            return
        try:
            await enqueue_segment_refresh(redis, organization_id)
        except (RedisError, OSError):
            logger.warning("could not enqueue the segment refresh; the nightly job will run it")

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders.for_organization(self.principal.organization_id)
        return self._loaders
