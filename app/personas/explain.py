"""From groups to portraits: names, demographics, behaviours, motivations and roadmap items.

One module per step: `metrics` (a group's figures), `motivations` (the rules below),
`suggestions` (the roadmap items they lead to) and `portraits` (all of it, named).

Pure and deterministic. Every number is an aggregate of a whole group, which the model keeps
at `min_size` customers or more; lists that could narrow a group down (cities, countries, age
bands, categories and tags) only show entries held by at least `min_size` customers. Nothing
here reads a name, an email, a phone or an id.

Robust statistics: medians for money, frequency and recency; per-customer rates (bounded 0..1)
averaged; counts winsorized at the whole base's 99th percentile. One huge customer moves a
persona's figures no more than any other member.

Motivation rules compare a persona with the whole base (lift = persona / base) or, where a
base can be lapsed or one-time as a whole, read the persona's own members against absolute
thresholds; the score is (lift - 1) / span, capped to 0..1 (docs/personas.md has the same table):

    TRANSACTIONAL_VALUE  redemption rate >= 20% and >= 1.25x the base (span 1)
    BELONGING            referrals per customer >= 0.25 and >= 1.5x the base (span 3)
    EXCLUSIVITY          median order value >= 1.4x the base, mean order value >= the base,
                         frequency <= the base (span 1.5)
    RECOGNITION          share of orders in the birthday month >= 1.3x the base and >= 1.3/12
    ROUTINE              half or more with 3+ orders, intervals between orders >= 1.3x steadier
                         than the base (median variation), recency <= the base (span 1)
    RENEWAL              median days since the last order >= 2x the base and >= the at-risk
                         days, or half or more of the members past the organization's lost
                         days (absolute: a lapsed base still gets its win-back persona), or
                         half or more of the members with predictions at HIGH churn risk
                         (app.predictions; the share is evidence whenever predictions exist)
    TRIAL                60% or more bought exactly once (absolute)
    COMMITMENT           orders per customer and spend per customer both >= 2x the base (span 3)
    MOMENTUM             only when nothing else fired: median recency <= half the base's and
                         under half past the at-risk days (span 4)

`suggestions` turns them into roadmap items computed from the persona's own figures and
checked for reach; `naming` names the persona from its figures and its ranks among the
personas (`app.personas.naming`); `portraits` puts it together, with a `note` saying why when
the figures cannot support a motivation or three roadmap items.
"""

from __future__ import annotations

from app.personas.members import Members
from app.personas.metrics import Metrics
from app.personas.motivations import MotivationKey, motivations
from app.personas.naming import names
from app.personas.portraits import Portrait, portraits
from app.personas.suggestions import Context, RoadmapSuggestion, roadmap

__all__ = [
    "Context",
    "Members",
    "Metrics",
    "MotivationKey",
    "Portrait",
    "RoadmapSuggestion",
    "motivations",
    "names",
    "portraits",
    "roadmap",
]
