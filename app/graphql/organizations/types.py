from __future__ import annotations

import datetime as dt

import strawberry

from app.graphql.enums import SignupChannel
from app.models.organization import Organization, SignupForm, Store


@strawberry.type(name="Organization")
class OrganizationType:
    id: strawberry.ID
    name: str
    default_region: str = strawberry.field(
        description="ISO region used to read phone numbers written in national format."
    )
    timezone: str
    created_at: dt.datetime
    privacy_page_path: str | None = strawberry.field(
        description="The shoppers' self-serve privacy page on this service (link it from the "
        "shop's privacy policy): stop marketing, download or erase their data, recover an "
        "identifier."
    )

    @classmethod
    def from_model(cls, org: Organization) -> OrganizationType:
        return cls(
            id=strawberry.ID(str(org.id)),
            name=org.name,
            default_region=org.default_region,
            timezone=org.timezone,
            created_at=org.created_at,
            privacy_page_path=f"/privacy/{org.slug}" if org.slug else None,
        )


@strawberry.type(name="Store")
class StoreType:
    id: strawberry.ID
    name: str
    code: str
    online: bool

    @classmethod
    def from_model(cls, store: Store) -> StoreType:
        return cls(
            id=strawberry.ID(str(store.id)), name=store.name, code=store.code, online=store.online
        )


@strawberry.type(name="SignupForm")
class SignupFormType:
    id: strawberry.ID
    name: str
    channel: SignupChannel

    @classmethod
    def from_model(cls, form: SignupForm) -> SignupFormType:
        return cls(id=strawberry.ID(str(form.id)), name=form.name, channel=form.channel)
