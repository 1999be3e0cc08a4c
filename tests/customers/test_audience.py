"""The stored audience: JSON round trip, refusals, and `matches` agreeing with `members`."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.customers import audience
from app.customers.repository.search import CustomerFilter
from app.models.customer import Customer, LifecycleStage, RfmSegment, SmsState
from app.models.persona import Persona, PersonaAssignment, PersonaSet, PersonaSetStatus
from app.organizations.profile import load_program
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.wallets.helpers import new_customer


def test_round_trip_uses_the_inputs_names() -> None:
    where = CustomerFilter(
        loyalty_enrolled=True,
        sms_state=SmsState.SUBSCRIBED,
        favorite_store_id=uuid.UUID("0192d7a0-0000-7000-8000-000000000001"),
        created_after=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        lifecycle_stages=[LifecycleStage.AT_RISK, LifecycleStage.LOST],
        rfm_segments=[RfmSegment.CHAMPIONS],
        tiers=["Gold"],
    )
    stored = audience.to_json(where)
    assert stored == {
        "loyaltyEnrolled": True,
        "smsState": "SUBSCRIBED",
        "favoriteStoreId": "0192d7a0-0000-7000-8000-000000000001",
        "createdAfter": "2026-01-01T00:00:00+00:00",
        "lifecycleStages": ["AT_RISK", "LOST"],
        "rfmSegments": ["CHAMPIONS"],
        "tiers": ["Gold"],
    }
    assert audience.from_json(stored) == where
    assert audience.to_json(CustomerFilter()) == {}
    assert audience.is_everyone(audience.from_json({}))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "audience"),
        ({"shoeSize": 42}, "shoeSize"),
        ({"loyaltyEnrolled": "yes"}, "loyaltyEnrolled"),
        ({"lifecycleStages": ["SLEEPY"]}, "lifecycleStages"),
        ({"personaId": "nope"}, "personaId"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"tiers": ["x"] * 51}, "tiers"),
    ],
)
def test_refusals_name_the_key(data: object, field: str) -> None:
    with pytest.raises(audience.AudienceInvalid) as caught:
        audience.from_json(data)
    assert caught.value.field == field


async def test_matches_agrees_with_members(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    org = tenant.organization_id
    people = [
        await new_customer(owner, email="a@example.com", country="FR", email_opt_in=True),
        await new_customer(owner, phone="+12025550143", city="Paris", loyalty_enrolled=False),
        await new_customer(owner, first_name="Cy", country="fr"),
        await new_customer(owner, email="d@example.com", city="paris"),
    ]
    await Customer.filter(id=people[0].id).update(lifetime_points=1200)
    await Customer.filter(id=people[3].id).update(
        lifetime_points=6000, lifecycle_stage=LifecycleStage.AT_RISK, rfm_segment=RfmSegment.AT_RISK
    )
    persona_set = await PersonaSet.create(
        organization_id=org, status=PersonaSetStatus.READY, is_current=True
    )
    identity = uuid.uuid4()
    await Persona.create(
        organization_id=org,
        persona_set=persona_set,
        identity_id=identity,
        name="P",
        size=2,
        share=0.5,
    )
    for member in (people[1], people[3]):
        await PersonaAssignment.create(
            persona_set_id=persona_set.id, customer_id=member.id, persona_identity_id=identity
        )
    program = await load_program(org)
    filters = [
        CustomerFilter(),
        CustomerFilter(country="FR"),
        CustomerFilter(city="PARIS"),
        CustomerFilter(has_email=True, email_opt_in=False),
        CustomerFilter(loyalty_enrolled=False),
        CustomerFilter(tiers=["Silver"]),
        CustomerFilter(tiers=["Member", "Gold"]),
        CustomerFilter(lifecycle_stages=[LifecycleStage.AT_RISK]),
        CustomerFilter(rfm_segments=[RfmSegment.AT_RISK, RfmSegment.LOST]),
        CustomerFilter(persona_id=identity),
        CustomerFilter(persona_id=identity, has_phone=False),
        CustomerFilter(created_after=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    ]
    for where in filters:
        listed = {c.id for c in await audience.members(org, where, program)}
        fresh = [await Customer.get(id=p.id) for p in people]
        matched = {c.id for c in fresh if await audience.matches(c, where, program)}
        assert matched == listed, where
    assert {c.id for c in await audience.members(org, filters[9], program)} == {
        people[1].id,
        people[3].id,
    }
    assert await audience.problems(org, CustomerFilter(persona_id=identity), program) == []
