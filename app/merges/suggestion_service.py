"""Duplicate suggestions: recompute an organization's, list them, dismiss them; the placeholder
settings they rely on.

The recompute reads the active customers in one query, scores them with the pure engine
(`app.merges.suggestions`) and replaces the stored suggestions and placeholders in one
transaction, so readers see the previous set or the new one, never a mix. A dismissed pair is
excluded from every later recompute (`suggestion_repository.excluded_pairs`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError, InvalidArgument, PublicErrorCode
from app.core.jobs import request_job
from app.core.pagination import Page, PageRequest
from app.core.transactions import atomic
from app.merges import suggestion_repository as repository
from app.merges.duplicate_errors import DuplicateErrorCode as Code
from app.merges.grouping import MAX_GROUP
from app.merges.placeholder_settings import (
    PlaceholderSettings,
    PlaceholderValue,
    normalize_placeholders,
    validated_settings,
)
from app.merges.records import IdentifierKind
from app.merges.scoring import Reason
from app.merges.suggestion_jobs import REQUEST_DEBOUNCE, duplicate_refresh
from app.merges.suggestions import SuggestionOptions, SuggestionReport, suggest_duplicates
from app.models.customer import Customer
from app.models.duplicates import (
    DuplicateSuggestion,
    PlaceholderIdentifier,
    PlaceholderKind,
    PlaceholderSource,
)
from app.organizations.profile import load_profile_fresh

MAX_PLACEHOLDERS_LISTED = 500


# --- settings ----------------------------------------------------------------------------------


async def _settings(organization_id: uuid.UUID) -> PlaceholderSettings:
    row = await repository.settings(organization_id)
    if row is None:
        return PlaceholderSettings()
    if row.placeholder_values is None:
        return PlaceholderSettings(shared_threshold=row.shared_threshold)
    return PlaceholderSettings(
        tuple(PlaceholderValue.from_json(v) for v in row.placeholder_values),
        row.shared_threshold,
    )


@dataclass(frozen=True)
class DuplicateSettingsView:
    settings: PlaceholderSettings
    computed_at: dt.datetime | None


async def placeholder_settings(principal: Principal) -> DuplicateSettingsView:
    principal.require(Operation.CUSTOMER_MERGE)
    row = await repository.settings(principal.organization_id)
    return DuplicateSettingsView(
        await _settings(principal.organization_id), row.computed_at if row else None
    )


async def update_placeholder_settings(
    principal: Principal,
    values: Sequence[tuple[IdentifierKind, str]] | None = None,
    shared_threshold: int | None = None,
    *,
    add: Sequence[tuple[IdentifierKind, str]] = (),
    remove: Sequence[tuple[IdentifierKind, str]] = (),
) -> DuplicateSettingsView:
    """Replace the placeholder list (`values`), or add to it and remove from it, and set the
    threshold (None keeps it); a recompute follows shortly."""
    principal.require(Operation.DUPLICATE_SETTINGS)
    org = principal.organization_id
    current = await _settings(org)
    region = (await load_profile_fresh(org)).default_region
    base = (
        list(current.values) if values is None else normalize_placeholders(values, region, "values")
    )
    # Removed entries are compared in stored form, so `(202) 555-0143` removes `+12025550143`.
    removed = set(normalize_placeholders(remove, region, "remove"))
    kept = [v for v in [*base, *normalize_placeholders(add, region, "add")] if v not in removed]
    settings = validated_settings(
        kept, current.shared_threshold if shared_threshold is None else shared_threshold
    )
    async with atomic(repository.CONNECTION):
        row = await repository.save_settings(
            org, [v.as_json() for v in settings.values], settings.shared_threshold
        )
        await request_job(duplicate_refresh(org))
    return DuplicateSettingsView(settings, row.computed_at)


# --- the recompute -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeCounts:
    customers: int
    compared_pairs: int
    suggestions: int
    placeholders: int

    def as_dict(self) -> dict[str, int]:
        return {
            "customers": self.customers,
            "compared_pairs": self.compared_pairs,
            "suggestions": self.suggestions,
            "placeholders": self.placeholders,
        }


def _suggestion_rows(report: SuggestionReport) -> list[repository.SuggestionRow]:
    """One row per group (a pair is a group of two), strongest first.

    A group's score is its weakest suggested pair (every link staff would merge on holds at
    least that), its reasons those of all its pairs. A pair left out of any group (it would
    have joined an excluded pair, or grown a group past one merge) stays a row of its own.
    """
    group_of = {member: group for group in report.groups for member in group}
    scores: dict[tuple[uuid.UUID, ...], float] = {}
    reasons: dict[tuple[uuid.UUID, ...], set[Reason]] = {}
    for pair in report.pairs:
        a, b = pair.customer_ids
        group = group_of.get(a)
        key = group if group is not None and b in group else pair.customer_ids
        scores[key] = min(scores.get(key, 1.0), pair.score)
        reasons.setdefault(key, set()).update(pair.reasons)
    order = list(Reason)
    rows = [
        repository.SuggestionRow(
            key, scores[key], tuple(r.value for r in sorted(reasons[key], key=order.index))
        )
        for key in scores
    ]
    rows.sort(key=lambda row: (-row.score, row.customer_ids))
    return rows


def _placeholder_rows(report: SuggestionReport) -> list[repository.PlaceholderRow]:
    return [
        repository.PlaceholderRow(
            PlaceholderKind(p.kind.value), p.value, p.count, PlaceholderSource(p.reason.value)
        )
        for p in report.placeholders
    ]


def _holds_excluded(ids: Sequence[uuid.UUID], excluded: set[tuple[uuid.UUID, uuid.UUID]]) -> bool:
    return any(repository.ordered(a, b) in excluded for a, b in itertools.combinations(ids, 2))


async def recompute_suggestions(principal: Principal) -> RecomputeCounts:
    """Recompute the organization's suggestions and placeholders from its customers.

    A system task (the refresh job): staff ask for it with `request_refresh`. Safe to run
    twice: the second run writes the same set.
    """
    principal.require_system()
    org = principal.organization_id
    settings = await _settings(org)
    candidates = await repository.candidates(org)
    excluded = await repository.excluded_pairs(org)
    options = SuggestionOptions(
        placeholder_list=settings.placeholder_list(), shared_threshold=settings.shared_threshold
    )
    # CPU-bound for seconds on a large base: off the event loop, so the worker stays responsive.
    report = await asyncio.to_thread(suggest_duplicates, candidates, excluded, options)
    del candidates
    rows = _suggestion_rows(report)
    placeholders = _placeholder_rows(report)
    async with atomic(repository.CONNECTION) as conn:
        # A pair dismissed while the engine ran is not brought back by this run.
        latest = set(await repository.excluded_pairs(org)) - set(excluded)
        if latest:
            rows = [row for row in rows if not _holds_excluded(row.customer_ids, latest)]
        await repository.replace_results(conn, org, rows, placeholders, utcnow())
    return RecomputeCounts(
        customers=report.customers,
        compared_pairs=report.compared_pairs,
        suggestions=len(rows),
        placeholders=len(placeholders),
    )


async def request_refresh(principal: Principal) -> None:
    """Ask for a recompute (debounced: requests within a short while make one run)."""
    principal.require(Operation.CUSTOMER_MERGE)
    await request_job(duplicate_refresh(principal.organization_id, debounce=REQUEST_DEBOUNCE))


# --- reading and dismissing --------------------------------------------------------------------


@dataclass
class SuggestionView:
    id: uuid.UUID
    customers: list[Customer]
    score: float
    reasons: list[Reason]
    computed_at: dt.datetime


async def _views(
    organization_id: uuid.UUID, rows: Sequence[DuplicateSuggestion]
) -> list[SuggestionView]:
    ids = [uuid.UUID(c) for row in rows for c in row.customer_ids]
    customers = await repository.customers_by_id(organization_id, ids)
    return [
        SuggestionView(
            id=uuid.UUID(str(row.id)),
            customers=[customers[uuid.UUID(c)] for c in row.customer_ids],
            score=row.score,
            reasons=[Reason(r) for r in row.reasons],
            computed_at=row.computed_at,
        )
        for row in rows
        # Shown rows have only active members; one that changed since the read is left out.
        if all(uuid.UUID(c) in customers for c in row.customer_ids)
    ]


def _check_min_score(min_score: float) -> None:
    if not 0.0 <= min_score <= 1.0:
        raise InvalidArgument("`minScore` must be between 0 and 1.")


async def list_suggestions(
    principal: Principal, page: PageRequest, min_score: float = 0.0
) -> Page[SuggestionView]:
    """Strongest first."""
    principal.require(Operation.CUSTOMER_MERGE)
    _check_min_score(min_score)
    org = principal.organization_id
    rows = await repository.suggestions_page(
        org, page.first + 1, after=page.after, min_score=min_score
    )
    views = await _views(org, rows[: page.first])
    return Page(
        items=views,
        has_next_page=len(rows) > page.first,
        has_previous_page=page.after is not None,
        count=lambda: repository.count_suggestions(org, min_score),
    )


async def suggestions_of_customers(
    principal: Principal, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SuggestionView]]:
    """Customer id -> the suggestions it is in, strongest first, for many customers at once
    (a customer is in few: its group, and pairs left out of it)."""
    principal.require(Operation.CUSTOMER_MERGE)
    org = principal.organization_id
    found = await repository.suggestions_of_customers(org, customer_ids)
    rows = {row.id: row for rows in found.values() for row in rows}
    views = {view.id: view for view in await _views(org, list(rows.values()))}
    return {
        customer_id: [views[i] for i in (uuid.UUID(str(r.id)) for r in rows) if i in views]
        for customer_id, rows in found.items()
    }


async def customer_suggestions(
    principal: Principal, customer_id: uuid.UUID
) -> list[SuggestionView]:
    return (await suggestions_of_customers(principal, [customer_id])).get(customer_id, [])


async def dismiss(principal: Principal, customer_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Never suggest these customers together again (every pair among them); returns the ids.

    The stored suggestions holding a dismissed pair are removed at once; a recompute follows
    shortly to regroup what remains of them.
    """
    principal.require(Operation.CUSTOMER_MERGE)
    if len(set(customer_ids)) != len(customer_ids):
        raise DomainError(Code.DUPLICATE_CUSTOMER_ID, "A customer is named twice.", "customerIds")
    if len(customer_ids) < 2:
        raise DomainError(Code.TOO_FEW_CUSTOMERS, "Name at least two customers.", "customerIds")
    if len(customer_ids) > MAX_GROUP:
        raise DomainError(
            Code.TOO_MANY_CUSTOMERS, f"Name at most {MAX_GROUP} customers.", "customerIds"
        )
    org = principal.organization_id
    known = await repository.organization_customer_ids(org, customer_ids)
    for index, customer_id in enumerate(customer_ids):
        if customer_id not in known:
            raise DomainError(Code.NOT_FOUND, "No such customer.", f"customerIds.{index}")
    pairs = [repository.ordered(a, b) for a, b in itertools.combinations(customer_ids, 2)]
    async with atomic(repository.CONNECTION) as conn:
        await repository.dismiss_pairs(conn, org, pairs, principal.subject_id)
        await request_job(duplicate_refresh(org))
    return list(customer_ids)


async def placeholder_identifiers(
    principal: Principal, first: int = 100
) -> list[PlaceholderIdentifier]:
    """What the last recompute found, most shared first."""
    principal.require(Operation.CUSTOMER_MERGE)
    if not 0 <= first <= MAX_PLACEHOLDERS_LISTED:
        raise InvalidArgument(
            f"`first` must be between 0 and {MAX_PLACEHOLDERS_LISTED}.",
            PublicErrorCode.PAGINATION_LIMIT,
        )
    return await repository.placeholders(principal.organization_id, first)
