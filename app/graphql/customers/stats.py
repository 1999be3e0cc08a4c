"""The dashboard: counts of the customers a `customers` query with the same filters lists."""

from __future__ import annotations

import strawberry

from app.customers.service import CustomerStats
from app.graphql.enums import ChurnRisk, LifecycleStage, RfmSegment, SmsState


@strawberry.type
class LifecycleStageCount:
    stage: LifecycleStage
    count: int


@strawberry.type
class RfmSegmentCount:
    segment: RfmSegment | None = strawberry.field(
        description="null: customers without a segment (no completed order yet)."
    )
    count: int


@strawberry.type
class ChurnRiskCount:
    risk: ChurnRisk | None = strawberry.field(
        description="null: customers without predictions (no completed order when the model "
        "was fitted, or no model)."
    )
    count: int


@strawberry.type
class TierCount:
    tier: str
    count: int


@strawberry.type
class PersonaCount:
    persona_id: strawberry.ID = strawberry.field(description="The persona's stable id.")
    name: str
    count: int


@strawberry.type
class SmsStateCount:
    state: SmsState
    count: int


@strawberry.type(
    description="Counts over the customers `customers` lists with the same search and "
    "filters, computed together in one pass, so the groups of each breakdown add up to "
    "`customers` (tiers: customers below the first tier's threshold are in none; personas: "
    "customers outside the current personas are in none)."
)
class CustomerStatsType:
    customers: int
    enrolled: int = strawberry.field(description="Enrolled in the loyalty program.")
    with_order: int = strawberry.field(description="With at least one completed order.")
    email_opted_in: int
    by_lifecycle_stage: list[LifecycleStageCount]
    by_rfm_segment: list[RfmSegmentCount]
    by_tier: list[TierCount] = strawberry.field(description="The program's tiers, lowest first.")
    by_persona: list[PersonaCount] = strawberry.field(
        description="The current personas, largest first; empty before the first generation."
    )
    by_sms_state: list[SmsStateCount]
    by_churn_risk: list[ChurnRiskCount]

    @classmethod
    def of(cls, found: CustomerStats) -> CustomerStatsType:
        c = found.counts
        return cls(
            customers=c.customers,
            enrolled=c.enrolled,
            with_order=c.with_order,
            email_opted_in=c.email_opted_in,
            by_lifecycle_stage=[
                LifecycleStageCount(stage=s, count=n) for s, n in c.lifecycle.items()
            ],
            by_rfm_segment=[RfmSegmentCount(segment=s, count=n) for s, n in c.rfm.items()],
            by_tier=[TierCount(tier=t, count=n) for t, n in c.tiers.items()],
            by_persona=[
                PersonaCount(
                    persona_id=strawberry.ID(str(p.identity_id)), name=p.name, count=p.count
                )
                for p in found.personas
            ],
            by_sms_state=[SmsStateCount(state=s, count=n) for s, n in c.sms.items()],
            by_churn_risk=[ChurnRiskCount(risk=s, count=n) for s, n in c.churn_risk.items()],
        )
