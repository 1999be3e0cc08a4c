from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.core.ids import parse_id
from app.core.unset import UNSET as SERVICE_UNSET
from app.customers.fields import CustomerInput, FavoriteStoreChoice
from app.customers.repository.search import CustomerFilter
from app.customers.service import TraitsMode
from app.customers.sorting import CustomerSortField
from app.graphql.enums import (
    ChurnRisk,
    FavoriteStoreSource,
    LifecycleStage,
    RfmSegment,
    SmsState,
)
from app.graphql.pagination import SortDirection

strawberry.enum(TraitsMode, description="MERGE: keys are added or replaced, null removes one.")


@strawberry.input
class AddressInput:
    city: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET


@strawberry.input
class FavoriteStoreInput:
    store_id: strawberry.ID
    source: FavoriteStoreSource


@strawberry.input(description="Fields of a customer. Omitted fields are left as they are.")
class CustomerFieldsInput:
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    external_reference: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    birthday: dt.date | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    traits: JSON | None = strawberry.UNSET
    signup_form_id: strawberry.ID | None = strawberry.UNSET
    loyalty_enrolled: bool | None = strawberry.UNSET
    favorite_store: FavoriteStoreInput | None = strawberry.UNSET
    email_opt_in: bool | None = strawberry.UNSET
    sms_opt_in: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true puts SMS in PENDING until the shopper replies YES.",
    )


def _v(value: Any) -> Any:
    """Strawberry's UNSET to the service's UNSET; everything else unchanged."""
    return SERVICE_UNSET if value is strawberry.UNSET else value


def _flag(value: bool | None) -> Any:
    # A non-null boolean column: an explicit null means "leave it", like omitting it.
    return SERVICE_UNSET if value is strawberry.UNSET or value is None else value


def to_service_input(data: CustomerFieldsInput) -> CustomerInput:
    address = data.address if data.address not in (strawberry.UNSET, None) else AddressInput()
    store = data.favorite_store
    form_id = data.signup_form_id
    return CustomerInput(
        email=_v(data.email),
        phone=_v(data.phone),
        external_reference=_v(data.external_reference),
        first_name=_v(data.first_name),
        last_name=_v(data.last_name),
        birthday=_v(data.birthday),
        city=_v(address.city),
        region=_v(address.region),
        postal_code=_v(address.postal_code),
        country=_v(address.country),
        traits=_v(data.traits),
        signup_form_id=(
            SERVICE_UNSET
            if form_id is strawberry.UNSET
            else (parse_id(form_id, "signupFormId") if form_id is not None else None)
        ),
        loyalty_enrolled=_flag(data.loyalty_enrolled),
        favorite_store=(
            SERVICE_UNSET
            if store is strawberry.UNSET
            else (
                FavoriteStoreChoice(parse_id(store.store_id, "favoriteStore.storeId"), store.source)
                if store is not None
                else None
            )
        ),
        email_opt_in=_flag(data.email_opt_in),
        sms_opt_in=_flag(data.sms_opt_in),
    )


@strawberry.input
class CustomerWhereInput:
    loyalty_enrolled: bool | None = None
    email_opt_in: bool | None = None
    sms_state: SmsState | None = None
    signup_form_id: strawberry.ID | None = None
    favorite_store_id: strawberry.ID | None = None
    country: str | None = None
    city: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    has_email: bool | None = None
    has_phone: bool | None = None
    lifecycle_stages: list[LifecycleStage] | None = strawberry.field(
        default=None, description="Any of these stages; omitted or empty: any stage."
    )
    rfm_segments: list[RfmSegment] | None = strawberry.field(
        default=None,
        description="Any of these RFM segments; omitted or empty: no condition. Customers "
        "without orders have no segment.",
    )
    churn_risks: list[ChurnRisk] | None = strawberry.field(
        default=None,
        description="Any of these churn risk bands (`Customer.predictions.churnRisk`); omitted "
        "or empty: no condition. Customers without predictions have no band.",
    )
    persona_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Customers of this persona (its stable id) in the current personas.",
    )
    tiers: list[str] | None = strawberry.field(
        default=None,
        description="Any of these tiers (by name, from the program's lifetime-point bands); "
        "omitted or empty: any tier.",
    )

    def to_filter(self) -> CustomerFilter:
        return CustomerFilter(
            loyalty_enrolled=self.loyalty_enrolled,
            email_opt_in=self.email_opt_in,
            sms_state=self.sms_state,
            signup_form_id=parse_id(self.signup_form_id, "signupFormId")
            if self.signup_form_id
            else None,
            favorite_store_id=parse_id(self.favorite_store_id, "favoriteStoreId")
            if self.favorite_store_id
            else None,
            country=self.country,
            city=self.city,
            created_after=self.created_after,
            created_before=self.created_before,
            has_email=self.has_email,
            has_phone=self.has_phone,
            lifecycle_stages=self.lifecycle_stages,
            rfm_segments=self.rfm_segments,
            churn_risks=self.churn_risks,
            persona_id=parse_id(self.persona_id, "personaId") if self.persona_id else None,
            tiers=[t.strip() for t in self.tiers] if self.tiers else None,
        )


strawberry.enum(
    CustomerSortField,
    description="LAST_ORDER_AT: customers without an order have none (NULL, sorted last "
    "ascending). LAST_NAME: case- and accent-insensitive. EXPECTED_SPEND and "
    "PROBABILITY_ALIVE: the stored predictions (365-day spend, probability still active); "
    "customers without predictions have none (sorted last ascending).",
)


@strawberry.input(description="The order of the customer list; ties are broken by id.")
class CustomerSortInput:
    field: CustomerSortField
    direction: SortDirection = SortDirection.ASC
