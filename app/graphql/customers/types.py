from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.graphql.context import Info
from app.graphql.duplicates.customer_fields import CustomerDuplicateFields
from app.graphql.enums import (
    CustomerStatus,
    FavoriteStoreSource,
    LifecycleStage,
    RfmSegment,
    SmsState,
)
from app.graphql.merges.customer_fields import CustomerMergeFields
from app.graphql.organizations.types import SignupFormType, StoreType
from app.graphql.personas.customer_fields import CustomerPersonaFields
from app.graphql.predictions.customer_fields import CustomerPredictionFields
from app.graphql.wallets.customer_fields import CustomerWalletFields
from app.models.customer import Customer


@strawberry.type
class Address:
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")


@strawberry.type
class CustomerConsent:
    email_opt_in: bool
    sms_state: SmsState
    push_opt_in: bool = strawberry.field(
        description="Granted only from the shopper's own device; staff cannot set it."
    )


@strawberry.type
class FavoriteStore:
    source: FavoriteStoreSource
    store_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        store = await info.context.loaders.stores.load(self.store_id)
        return StoreType.from_model(store) if store else None


@strawberry.type(
    description="Recency, frequency and monetary scores, 1-5 by quintile within the "
    "organization (5 is best), and the named segment."
)
class RfmScores:
    recency: int
    frequency: int
    monetary: int
    segment: RfmSegment

    @classmethod
    def from_model(cls, c: Customer) -> RfmScores | None:
        r, f, m, segment = c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment
        if r is None or f is None or m is None or segment is None:
            return None
        return cls(recency=r, frequency=f, monetary=m, segment=segment)


@strawberry.type(name="Customer")
class CustomerType(
    CustomerWalletFields,
    CustomerPersonaFields,
    CustomerDuplicateFields,
    CustomerMergeFields,
    CustomerPredictionFields,
):
    id: strawberry.ID
    status: CustomerStatus
    email: str | None
    phone: str | None = strawberry.field(description="E.164.")
    external_reference: str | None
    first_name: str
    last_name: str
    birthday: dt.date | None
    address: Address
    traits: JSON
    loyalty_enrolled: bool
    favorite_store: FavoriteStore | None
    consent: CustomerConsent
    lifecycle_stage: LifecycleStage
    rfm: RfmScores | None = strawberry.field(
        description="Null for customers without orders; recomputed in the background."
    )
    order_count: int
    total_spent: Decimal
    last_order_at: dt.datetime | None
    archived_at: dt.datetime | None
    archive_reason: str | None
    merged_into_id: strawberry.ID | None = strawberry.field(
        description="The customer it was merged into (the first hop); see mergedInto."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    signup_form_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The signup form the customer came through.")
    async def signup_form(self, info: Info) -> SignupFormType | None:
        if self.signup_form_id is None:
            return None
        form = await info.context.loaders.signup_forms.load(self.signup_form_id)
        return SignupFormType.from_model(form) if form else None

    @classmethod
    def from_model(cls, c: Customer) -> CustomerType:
        store_id = c.favorite_store_id
        return cls(
            id=strawberry.ID(str(c.id)),
            status=c.status,
            email=c.email,
            phone=c.phone,
            external_reference=c.external_reference,
            first_name=c.first_name,
            last_name=c.last_name,
            birthday=c.birthday,
            address=Address(
                city=c.city, region=c.region, postal_code=c.postal_code, country=c.country
            ),
            traits=cast(JSON, c.traits),
            loyalty_enrolled=c.loyalty_enrolled,
            favorite_store=(
                FavoriteStore(source=c.favorite_store_source, store_id=store_id)  # type: ignore[arg-type]
                if store_id is not None and c.favorite_store_source is not None
                else None
            ),
            consent=CustomerConsent(
                email_opt_in=c.email_opt_in, sms_state=c.sms_state, push_opt_in=c.push_opt_in
            ),
            lifecycle_stage=c.lifecycle_stage,
            rfm=RfmScores.from_model(c),
            order_count=c.order_count,
            total_spent=c.total_spent,
            last_order_at=c.last_order_at,
            archived_at=c.archived_at,
            archive_reason=c.archive_reason,
            merged_into_id=strawberry.ID(str(c.merged_into_id)) if c.merged_into_id else None,
            created_at=c.created_at,
            updated_at=c.updated_at,
            signup_form_id=c.signup_form_id,  # type: ignore[arg-type]
            model=c,
        )


@strawberry.enum
class ContactKind(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    NONE = "NONE"


@strawberry.type(
    description="An archived customer as the archive list shows it: one contact, nothing more."
)
class ArchivedCustomer:
    id: strawberry.ID
    contact: str | None
    contact_kind: ContactKind
    archived_at: dt.datetime | None
    archive_reason: str | None

    @classmethod
    def from_model(cls, c: Customer) -> ArchivedCustomer:
        if c.phone:
            contact, kind = c.phone, ContactKind.PHONE
        elif c.email:
            contact, kind = c.email, ContactKind.EMAIL
        else:
            contact, kind = None, ContactKind.NONE
        return cls(
            id=strawberry.ID(str(c.id)),
            contact=contact,
            contact_kind=kind,
            archived_at=c.archived_at,
            archive_reason=c.archive_reason,
        )
