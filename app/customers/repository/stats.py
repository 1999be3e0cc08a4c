"""Dashboard counts over the customers a list shows, in one pass over the matching rows.

Every count is a conditional sum in the same statement (`COUNT(CASE WHEN ... THEN id END)`),
so the figures are consistent with each other and with the list: the caller passes the very
queryset the customer list pages through. Personas are counted by a second statement over the
current set's assignments of those customers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from app.models.customer import ChurnRisk, Customer, LifecycleStage, RfmSegment, SmsState
from app.models.persona import Persona, PersonaAssignment, PersonaSet
from app.organizations.program import Tier


@dataclass(frozen=True)
class TierBand:
    """Customers with lifetime points in [low, high); high None: no upper bound."""

    name: str
    low: int
    high: int | None


def tier_bands(tiers: Sequence[Tier]) -> list[TierBand]:
    """The program's tiers as lifetime-point ranges, lowest first."""
    ordered = sorted(tiers, key=lambda t: t.min_lifetime_points)
    highs: list[int | None] = [t.min_lifetime_points for t in ordered[1:]]
    return [
        TierBand(t.name, t.min_lifetime_points, high)
        for t, high in zip(ordered, [*highs, None], strict=True)
    ]


@dataclass(frozen=True)
class CustomerCounts:
    customers: int
    enrolled: int
    with_order: int
    email_opted_in: int
    lifecycle: dict[LifecycleStage, int]
    rfm: dict[RfmSegment | None, int]
    churn_risk: dict[ChurnRisk | None, int]
    sms: dict[SmsState, int]
    tiers: dict[str, int]


def _count_if(condition: Q) -> Count:
    return Count("id", _filter=condition)


async def counts(query: QuerySet[Customer], tiers: Sequence[TierBand]) -> CustomerCounts:
    sums: dict[str, Count] = {
        "n_customers": Count("id"),
        "n_enrolled": _count_if(Q(loyalty_enrolled=True)),
        "n_with_order": _count_if(Q(order_count__gt=0)),
        "n_email": _count_if(Q(email_opt_in=True)),
        "rfm_none": _count_if(Q(rfm_segment__isnull=True)),
    }
    sums |= {f"stage_{s.value}": _count_if(Q(lifecycle_stage=s)) for s in LifecycleStage}
    sums |= {f"rfm_{s.value}": _count_if(Q(rfm_segment=s)) for s in RfmSegment}
    sums |= {f"sms_{s.value}": _count_if(Q(sms_state=s)) for s in SmsState}
    sums["churn_none"] = _count_if(Q(churn_risk__isnull=True))
    sums |= {f"churn_{s.value}": _count_if(Q(churn_risk=s)) for s in ChurnRisk}
    for index, band in enumerate(tiers):
        within = Q(lifetime_points__gte=band.low)
        if band.high is not None:
            within &= Q(lifetime_points__lt=band.high)
        sums[f"tier_{index}"] = _count_if(within)
    rows = await query.annotate(**sums).values(*sums)
    row = rows[0] if rows else {}

    def n(name: str) -> int:
        return int(row.get(name) or 0)

    return CustomerCounts(
        customers=n("n_customers"),
        enrolled=n("n_enrolled"),
        with_order=n("n_with_order"),
        email_opted_in=n("n_email"),
        lifecycle={s: n(f"stage_{s.value}") for s in LifecycleStage},
        rfm={None: n("rfm_none")} | {s: n(f"rfm_{s.value}") for s in RfmSegment},
        sms={s: n(f"sms_{s.value}") for s in SmsState},
        churn_risk={None: n("churn_none")} | {s: n(f"churn_{s.value}") for s in ChurnRisk},
        tiers={band.name: n(f"tier_{i}") for i, band in enumerate(tiers)},
    )


@dataclass(frozen=True)
class PersonaCount:
    identity_id: uuid.UUID
    name: str
    count: int


async def persona_counts(
    organization_id: uuid.UUID, query: QuerySet[Customer]
) -> list[PersonaCount]:
    """Customers of `query` per persona of the organization's current set, largest first;
    personas with none of them are listed with 0 so a dashboard shows every persona."""
    current = await PersonaSet.filter(organization_id=organization_id, is_current=True).first()
    if current is None:
        return []
    personas = await Persona.filter(persona_set_id=current.id).order_by("position")
    grouped = (
        await PersonaAssignment.filter(
            persona_set_id=current.id, customer_id__in=Subquery(query.values("id"))
        )
        .annotate(n=Count("customer_id"))
        .group_by("persona_identity_id")
        .values("persona_identity_id", "n")
    )
    sizes = {uuid.UUID(str(g["persona_identity_id"])): int(g["n"]) for g in grouped}
    found = [PersonaCount(p.identity_id, p.name, sizes.get(p.identity_id, 0)) for p in personas]
    return sorted(found, key=lambda p: -p.count)
