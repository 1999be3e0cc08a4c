"""Persona types. Demographics, motivations and behaviours are stored as JSON aggregates and
read back into typed objects here (missing keys take neutral defaults)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, cast

import strawberry

from app.campaigns.roadmap_apply import is_applicable
from app.graphql.campaigns.types import AppliedSetting
from app.graphql.context import Info
from app.graphql.enums import (
    MotivationKey,
    PersonaSetFailure,
    PersonaSetStatus,
    PersonasStatus,
    Requirement,
    RoadmapItemSource,
)
from app.models.persona import Persona, PersonaSet, RoadmapItem
from app.personas import service as personas
from app.personas.portrait_json import (
    BehaviorsJson,
    DemographicsJson,
    EvidenceJson,
    LabelShareJson,
    MotivationJson,
)
from app.personas.service import Eligibility, PersonasOverview


def _float(data: Mapping[str, object], key: str) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _optional_float(data: Mapping[str, object], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) else None


def _items(data: Mapping[str, object], key: str) -> list[Any]:
    """The dict items of a list (stored JSON is read defensively: rows written long ago)."""
    value = data.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@strawberry.type(description="A label (category, tag, country, age band) and its share.")
class LabelShare:
    label: str
    share: float = strawberry.field(description="0..1 of the persona.")
    lift: float | None = strawberry.field(
        default=None, description="Share in the persona over share in the whole base."
    )

    @classmethod
    def of(cls, data: LabelShareJson) -> LabelShare:
        return cls(
            label=str(data.get("label", "")),
            share=_float(data, "share"),
            lift=_optional_float(data, "lift"),
        )


@strawberry.type
class CityShare:
    city: str
    country: str | None
    share: float


@strawberry.type(
    description="Who the persona is, in aggregate. Lists only show entries shared by at least "
    "the minimum persona size."
)
class PersonaDemographics:
    median_age: float | None
    birthday_known_share: float
    age_bands: list[LabelShare]
    top_countries: list[LabelShare]
    top_cities: list[CityShare]

    @classmethod
    def of(cls, data: DemographicsJson) -> PersonaDemographics:
        return cls(
            median_age=_optional_float(data, "medianAge"),
            birthday_known_share=_float(data, "birthdayKnownShare"),
            age_bands=[LabelShare.of(d) for d in _items(data, "ageBands")],
            top_countries=[LabelShare.of(d) for d in _items(data, "topCountries")],
            top_cities=[
                CityShare(
                    city=str(d.get("city", "")),
                    country=str(d["country"]) if d.get("country") else None,
                    share=_float(d, "share"),
                )
                for d in _items(data, "topCities")
            ],
        )


@strawberry.type(description="One fact behind a motivation: the persona against the whole base.")
class MotivationEvidence:
    metric: str
    label: str
    value: float
    base_value: float
    lift: float | None
    description: str

    @classmethod
    def of(cls, data: EvidenceJson) -> MotivationEvidence:
        return cls(
            metric=str(data.get("metric", "")),
            label=str(data.get("label", "")),
            value=_float(data, "value"),
            base_value=_float(data, "baseValue"),
            lift=_optional_float(data, "lift"),
            description=str(data.get("description", "")),
        )


@strawberry.type(description="Why the persona buys: a documented rule that fired, with evidence.")
class PersonaMotivation:
    key: MotivationKey
    label: str
    score: float = strawberry.field(description="0..1: how strongly the rule fired.")
    evidence: list[MotivationEvidence]

    @classmethod
    def of(cls, data: MotivationJson) -> PersonaMotivation | None:
        key = data.get("key")
        if not isinstance(key, str) or key not in MotivationKey._value2member_map_:
            return None
        return cls(
            key=MotivationKey(key),
            label=str(data.get("label", "")),
            score=_float(data, "score"),
            evidence=[MotivationEvidence.of(d) for d in _items(data, "evidence")],
        )


@strawberry.type(description="How the persona behaves (medians and winsorized means).")
class PersonaBehaviors:
    average_order_value: float
    median_order_value: float
    average_spend: float = strawberry.field(description="Spend per customer, all orders.")
    orders_per_customer: float
    orders_per_month: float = strawberry.field(description="Purchase frequency (median).")
    median_recency_days: float = strawberry.field(description="Days since the last order.")
    median_days_between_orders: float
    interval_variation: float = strawberry.field(
        description="Spread of the days between orders over their mean (0 = clockwork)."
    )
    redemption_rate: float = strawberry.field(description="Share of earned points redeemed.")
    redeemer_share: float
    referrals_per_customer: float
    referrer_share: float = strawberry.field(description="Share who referred someone.")
    birthday_month_order_share: float
    units_per_order: float = strawberry.field(
        description="Units per order, over the orders whose unit count is known (0: none)."
    )
    one_time_share: float = strawberry.field(description="Share who bought exactly once.")
    at_risk_share: float = strawberry.field(
        description="Share past the organization's at-risk days without an order."
    )
    lost_share: float = strawberry.field(
        description="Share past the organization's lost days without an order."
    )
    high_churn_risk_share: float | None = strawberry.field(
        description="Among members with predictions, the share at HIGH churn risk "
        "(`Customer.predictions.churnRisk`); null when none has predictions."
    )
    top_categories: list[LabelShare] = strawberry.field(description="By share of item spend.")
    top_tags: list[LabelShare] = strawberry.field(description="By share of item lines.")

    @classmethod
    def of(cls, data: BehaviorsJson) -> PersonaBehaviors:
        return cls(
            average_order_value=_float(data, "averageOrderValue"),
            median_order_value=_float(data, "medianOrderValue"),
            average_spend=_float(data, "averageSpend"),
            orders_per_customer=_float(data, "ordersPerCustomer"),
            orders_per_month=_float(data, "ordersPerMonth"),
            median_recency_days=_float(data, "medianRecencyDays"),
            median_days_between_orders=_float(data, "medianDaysBetweenOrders"),
            interval_variation=_float(data, "intervalVariation"),
            redemption_rate=_float(data, "redemptionRate"),
            redeemer_share=_float(data, "redeemerShare"),
            referrals_per_customer=_float(data, "referralsPerCustomer"),
            referrer_share=_float(data, "referrerShare"),
            birthday_month_order_share=_float(data, "birthdayMonthOrderShare"),
            units_per_order=_float(data, "unitsPerOrder"),
            one_time_share=_float(data, "oneTimeShare"),
            at_risk_share=_float(data, "atRiskShare"),
            lost_share=_float(data, "lostShare"),
            high_churn_risk_share=_optional_float(data, "highChurnRiskShare"),
            top_categories=[LabelShare.of(d) for d in _items(data, "topCategories")],
            top_tags=[LabelShare.of(d) for d in _items(data, "topTags")],
        )


@strawberry.type(name="RoadmapItem", description="A checklist item of a persona's roadmap.")
class RoadmapItemType:
    id: strawberry.ID
    persona_id: strawberry.ID
    title: str
    rationale: str
    suggested_setting: str
    done: bool
    notes: str
    position: int
    source: RoadmapItemSource
    rule_key: str | None = strawberry.field(
        description="The explanation rule that suggested it (generated items)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    applicable: bool = strawberry.field(
        description="`roadmapItemApply` can turn it into a draft campaign or earning rule for "
        "this persona."
    )
    item_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="What applying this item created; null until it is applied.")
    async def applied(self, info: Info) -> AppliedSetting | None:
        application = await info.context.loaders.roadmap_applications.load(self.item_id)
        return AppliedSetting.of(application) if application else None

    @classmethod
    def from_model(cls, item: RoadmapItem) -> RoadmapItemType:
        return cls(
            id=strawberry.ID(str(item.id)),
            persona_id=strawberry.ID(str(item.persona_identity_id)),
            title=item.title,
            rationale=item.rationale,
            suggested_setting=item.suggested_setting,
            done=item.done,
            notes=item.notes,
            position=item.position,
            source=item.source,
            rule_key=item.rule_key,
            created_at=item.created_at,
            updated_at=item.updated_at,
            applicable=is_applicable(item),
            item_id=uuid.UUID(str(item.id)),
        )


@strawberry.type(
    name="Persona",
    description="An anonymous portrait of a group of customers. `id` is stable across "
    "regenerations while the group stays the same.",
)
class PersonaType:
    id: strawberry.ID
    name: str
    size: int
    share: float = strawberry.field(description="0..1 of the customers with personas.")
    is_other: bool = strawberry.field(
        description="The group of customers from groups too small to be shown on their own."
    )
    demographics: PersonaDemographics
    motivations: list[PersonaMotivation]
    behaviors: PersonaBehaviors
    note: str = strawberry.field(
        description="Why the data cannot support a motivation or three roadmap items, when it"
        " cannot (empty otherwise)."
    )
    identity_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The checklist of program changes, in order.")
    async def roadmap(self, info: Info) -> list[RoadmapItemType]:
        items = await info.context.loaders.roadmaps.load(self.identity_id)
        return [RoadmapItemType.from_model(i) for i in items]

    @classmethod
    def from_model(cls, p: Persona) -> PersonaType:
        # The JSON the portraits wrote (app.personas.portrait_json), read defensively.
        motivations = [
            PersonaMotivation.of(cast(MotivationJson, m))
            for m in p.motivations or []
            if isinstance(m, dict)
        ]
        return cls(
            id=strawberry.ID(str(p.identity_id)),
            name=p.name,
            size=p.size,
            share=p.share,
            is_other=p.is_other,
            demographics=PersonaDemographics.of(cast(DemographicsJson, p.demographics or {})),
            motivations=[m for m in motivations if m is not None],
            behaviors=PersonaBehaviors.of(cast(BehaviorsJson, p.behaviors or {})),
            note=p.note or "",
            identity_id=p.identity_id,
        )


@strawberry.type(name="PersonaEligibilityReason")
class EligibilityReasonType:
    requirement: Requirement
    message: str
    required: int | None
    actual: int | None


@strawberry.type(name="PersonaEligibility")
class PersonaEligibilityType:
    eligible: bool
    reasons: list[EligibilityReasonType] = strawberry.field(
        description="Exactly what is missing; empty when eligible."
    )

    @classmethod
    def of(cls, found: Eligibility) -> PersonaEligibilityType:
        return cls(
            eligible=found.eligible,
            reasons=[
                EligibilityReasonType(
                    requirement=r.requirement,
                    message=r.message,
                    required=r.required,
                    actual=r.actual,
                )
                for r in found.reasons
            ],
        )


@strawberry.type(description="One regeneration of the personas (a persona set).")
class PersonaRegeneration:
    id: strawberry.ID
    status: PersonaSetStatus
    current: bool
    forced: bool
    scheduled: bool
    requested_at: dt.datetime
    generated_at: dt.datetime | None
    customer_count: int
    error_code: PersonaSetFailure | None
    persona_count: int | None = strawberry.field(
        description="Personas of a finished set (the number of groups, Other included)."
    )
    silhouette: float | None = strawberry.field(
        description="Quality of the chosen number of groups (-1..1, higher is better)."
    )

    @classmethod
    def from_model(cls, s: PersonaSet) -> PersonaRegeneration:
        details = s.details or {}
        scores = details.get("silhouette") if isinstance(details.get("silhouette"), dict) else {}
        k = details.get("k")
        failure = s.error_code if s.error_code in PersonaSetFailure._value2member_map_ else None
        identities = details.get("identities")
        return cls(
            id=strawberry.ID(str(s.id)),
            status=s.status,
            current=s.is_current,
            forced=s.forced,
            scheduled=bool(details.get("scheduled", False)),
            requested_at=s.created_at,
            generated_at=s.generated_at,
            customer_count=s.customer_count,
            error_code=PersonaSetFailure(failure) if failure else None,
            persona_count=len(identities) if isinstance(identities, list) else None,
            silhouette=_optional_float(scores or {}, str(k)) if k is not None else None,
        )


@strawberry.type(
    name="Personas",
    description="The organization's current personas and the state of their regeneration.",
)
class PersonasOverviewType:
    status: PersonasStatus = strawberry.field(
        description="The state of the latest regeneration (NOT_GENERATED before the first)."
    )
    generated_at: dt.datetime | None = strawberry.field(
        description="When the current personas were generated."
    )
    next_regeneration_at: dt.datetime | None = strawberry.field(
        description="From then on a regeneration is allowed without force (and the scheduled "
        "refresh runs)."
    )
    customer_count: int = strawberry.field(description="Customers the current personas cover.")
    eligibility: PersonaEligibilityType
    regeneration: PersonaRegeneration | None = strawberry.field(
        description="The latest regeneration, running, finished or failed."
    )
    personas: list[PersonaType]

    @classmethod
    def of(cls, found: PersonasOverview) -> PersonasOverviewType:
        current = found.current
        return cls(
            status=found.status,
            generated_at=current.generated_at if current else None,
            next_regeneration_at=found.next_regeneration_at,
            customer_count=current.customer_count if current else 0,
            eligibility=PersonaEligibilityType.of(found.eligibility),
            regeneration=PersonaRegeneration.from_model(found.latest) if found.latest else None,
            personas=[PersonaType.from_model(p) for p in found.personas],
        )

    @strawberry.field(description="Regenerations, newest first (previous sets are kept).")
    async def history(self, info: Info, first: int = 12) -> list[PersonaRegeneration]:
        sets = await personas.history(info.context.principal, first)
        return [PersonaRegeneration.from_model(s) for s in sets]
