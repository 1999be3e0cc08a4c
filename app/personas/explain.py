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

Motivation rules compare a persona with the whole base (lift = persona / base); the score is
(lift - 1) / span, capped to 0..1 (README, "Personas", has the same table):

    TRANSACTIONAL_VALUE  redemption rate >= 20% and >= 1.25x the base (span 1)
                         -> tiered discount rewards; double-points days
    BELONGING            referrals per customer >= 0.25 and >= 1.5x the base (span 3)
                         -> referral program and community events; welcome bonus for friends
    EXCLUSIVITY          median order value >= 1.4x the base, frequency <= the base (span 1.5)
                         -> early access to limited editions; a top tier with premium perks
    RECOGNITION          share of orders in the birthday month >= 1.3x the base and >= 1.3/12
                         (span 1) -> birthday and anniversary rewards
    ROUTINE              half or more with 3+ orders, intervals between orders >= 1.3x steadier
                         than the base (median variation), recency <= the base (span 1)
                         -> visit streak bonus; reminders at the usual interval
    RENEWAL              median days since the last order >= 2x the base and >= the program's
                         at-risk days (span 2) -> win-back campaign; points-expiry reminder

A persona's name comes from its strongest motivation ("Core Customers" when none fires);
two personas with the same name are told apart by their top category, then by a number.
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
