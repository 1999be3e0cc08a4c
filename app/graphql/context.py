"""The per-request context every resolver receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from strawberry.dataloader import DataLoader

from app.auth.principal import Principal
from app.config import Settings
from app.core.errors import NotAuthenticated, PublicError
from app.models.organization import SignupForm, Store


def _by_id_loader(model: Any, organization_id: uuid.UUID) -> DataLoader[uuid.UUID, Any]:
    """Batch loads of organization-owned rows: one query per request per kind."""

    async def load(keys: list[uuid.UUID]) -> list[Any]:
        rows = await model.filter(id__in=keys, organization_id=organization_id)
        found = {row.id: row for row in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    stores: DataLoader[uuid.UUID, Store | None]
    signup_forms: DataLoader[uuid.UUID, SignupForm | None]

    @classmethod
    def for_organization(cls, organization_id: uuid.UUID) -> Loaders:
        return cls(
            stores=_by_id_loader(Store, organization_id),
            signup_forms=_by_id_loader(SignupForm, organization_id),
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

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders.for_organization(self.principal.organization_id)
        return self._loaders
