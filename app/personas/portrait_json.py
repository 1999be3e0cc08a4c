"""The JSON a persona stores (demographics, behaviours, motivations): written by the portraits,
read by the GraphQL persona types. One definition, so writer and readers cannot drift."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class LabelShareJson(TypedDict):
    label: str
    share: float
    # Categories and tags: the share in the persona over the share in the whole base.
    lift: NotRequired[float | None]


class CityShareJson(TypedDict):
    city: str
    country: str | None
    share: float


class DemographicsJson(TypedDict):
    medianAge: float | None
    birthdayKnownShare: float
    ageBands: list[LabelShareJson]
    topCountries: list[LabelShareJson]
    topCities: list[CityShareJson]


class BehaviorsJson(TypedDict):
    averageOrderValue: float
    medianOrderValue: float
    averageSpend: float
    ordersPerCustomer: float
    ordersPerMonth: float
    medianRecencyDays: float
    redemptionRate: float
    redeemerShare: float
    referralsPerCustomer: float
    referrerShare: float
    birthdayMonthOrderShare: float
    medianDaysBetweenOrders: float
    intervalVariation: float
    # Shares of members: one order only; past the organization's at-risk and lost days.
    # Units per order where the unit count is known (0 when no order has one).
    unitsPerOrder: NotRequired[float]
    oneTimeShare: NotRequired[float]
    atRiskShare: NotRequired[float]
    lostShare: NotRequired[float]
    # Among members with predictions; null without any (app.predictions).
    highChurnRiskShare: NotRequired[float | None]
    topCategories: list[LabelShareJson]
    topTags: list[LabelShareJson]


class EvidenceJson(TypedDict):
    metric: str
    label: str
    value: float
    baseValue: float
    lift: float | None
    description: str


class MotivationJson(TypedDict):
    key: str
    label: str
    score: float
    evidence: list[EvidenceJson]
