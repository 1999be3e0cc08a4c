"""The merge plan: what the survivor looks like after a merge, and where each value came from.

Pure and deterministic, so a dry run and the real merge compute the same thing.

- Fields: the survivor's non-empty value wins; a blank is filled from the merged customers in
  the order given; a staff choice (`field_choices`: key -> record id) overrides either.
- Traits: key by key, by the same rule (choices use the key `traits.<key>`).
- Favorite store: the strongest source wins (`app.customers.favorite_store`), the earlier
  record on a tie, so a weaker source never replaces a stronger one.
- Consent: an explicit opt-out on any record wins. Otherwise email and SMS consent belong to
  an address or a number, so they come from the record whose email or phone the survivor keeps
  (another record's SUBSCRIBED was given for a number the survivor does not have). Push
  consent belongs to a device: the strongest state among the records.
- Identifiers no longer live on the survivor (the merged customers', and any of the survivor's
  own that a choice replaced) become aliases of the survivor.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from app.core.errors import DomainError
from app.customers.favorite_store import rank
from app.merges.errors import MergeErrorCode as Code
from app.merges.records import (
    CONSENT_FIELDS,
    FAVORITE_STORE_FIELD,
    IDENTIFIER_FIELDS,
    IDENTIFIER_KINDS,
    MERGED_FIELDS,
    TRAIT_PREFIX,
    Alias,
    ConsentState,
    FavoriteStore,
    MergeCustomer,
    MergePlan,
    is_blank,
    value_at,
)

MAX_MERGED = 9

# Which identifier a channel's consent was given for.
_CHANNEL_IDENTIFIER = {"email_consent": "email", "sms_consent": "phone"}
# Push has no identifier here: the strongest state wins, strongest first.
_PUSH_STRENGTH = (ConsentState.SUBSCRIBED, ConsentState.PENDING, ConsentState.NOT_SUBSCRIBED)


def check_merge_ids(survivor_id: uuid.UUID, merged_ids: Sequence[uuid.UUID]) -> None:
    """Refuse a merge request whose ids make no sense, before anything is loaded."""
    if not merged_ids:
        raise DomainError(
            Code.NOTHING_TO_MERGE, "Name at least one customer to merge.", "mergedIds"
        )
    if len(merged_ids) > MAX_MERGED:
        raise DomainError(
            Code.TOO_MANY_MERGED,
            f"At most {MAX_MERGED} customers can be merged at once.",
            "mergedIds",
        )
    if survivor_id in merged_ids:
        raise DomainError(
            Code.MERGE_WITH_ITSELF, "A customer cannot be merged into itself.", "mergedIds"
        )
    if len(set(merged_ids)) != len(merged_ids):
        raise DomainError(
            Code.DUPLICATE_MERGED_ID, "A customer is named twice among those merged.", "mergedIds"
        )


def _check_choices(
    records: Sequence[MergeCustomer], field_choices: Mapping[str, uuid.UUID]
) -> None:
    ids = {record.id for record in records}
    for key, chosen in field_choices.items():
        if chosen not in ids:
            raise DomainError(
                Code.INVALID_FIELD_CHOICE,
                "A field choice names a customer that is not part of this merge.",
                "fieldChoices",
            )
        if key.startswith(TRAIT_PREFIX):
            trait = key[len(TRAIT_PREFIX) :]
            if not any(trait in record.traits for record in records):
                raise DomainError(
                    Code.INVALID_FIELD_CHOICE,
                    "A field choice names a trait that no merged record has.",
                    "fieldChoices",
                )
        elif key in (*CONSENT_FIELDS, FAVORITE_STORE_FIELD):
            raise DomainError(
                Code.INVALID_FIELD_CHOICE,
                "Consent and favorite store follow their own rules and cannot be chosen.",
                "fieldChoices",
            )
        elif key not in MERGED_FIELDS:
            raise DomainError(
                Code.INVALID_FIELD_CHOICE, "A field choice names an unknown field.", "fieldChoices"
            )


def _pick(
    records: Sequence[MergeCustomer],
    key: str,
    field_choices: Mapping[str, uuid.UUID],
    fallback: MergeCustomer,
) -> MergeCustomer:
    """The record a value comes from: the chosen one, else the first non-blank, else `fallback`."""
    chosen = field_choices.get(key)
    if chosen is not None:
        return next(record for record in records if record.id == chosen)
    for record in records:
        if not is_blank(value_at(record, key)):
            return record
    return fallback


def _favorite_store(records: Sequence[MergeCustomer]) -> MergeCustomer:
    best = records[0]
    for record in records[1:]:
        store = record.favorite_store
        if store is None:
            continue
        current: FavoriteStore | None = best.favorite_store
        # Strictly stronger only: on a tie the survivor (then the earlier record) keeps it.
        if current is None or rank(store.source) < rank(current.source):
            best = record
    return best


def _consent(
    records: Sequence[MergeCustomer], channel: str, provenance: Mapping[str, uuid.UUID]
) -> MergeCustomer:
    for record in records:
        if getattr(record, channel) is ConsentState.UNSUBSCRIBED:
            return record
    identifier = _CHANNEL_IDENTIFIER.get(channel)
    if identifier is not None:
        source = provenance[identifier]
        return next(record for record in records if record.id == source)
    for state in _PUSH_STRENGTH:
        for record in records:
            if getattr(record, channel) is state:
                return record
    return records[0]


def _aliases(records: Sequence[MergeCustomer], result: MergeCustomer) -> tuple[Alias, ...]:
    aliases: list[Alias] = []
    for name in IDENTIFIER_FIELDS:
        kept = getattr(result, name)
        for record in records:
            value = getattr(record, name)
            if not is_blank(value) and value != kept:
                aliases.append(Alias(IDENTIFIER_KINDS[name], value, record.id))
    return tuple(aliases)


def plan_merge(
    survivor: MergeCustomer,
    merged: Sequence[MergeCustomer],
    field_choices: Mapping[str, uuid.UUID] | None = None,
) -> MergePlan:
    """The survivor after folding `merged` (in the order given) into it."""
    check_merge_ids(survivor.id, [record.id for record in merged])
    records = (survivor, *merged)
    choices = dict(field_choices or {})
    _check_choices(records, choices)

    provenance: dict[str, uuid.UUID] = {}
    # Field values of several types, checked by the dataclass they are replaced into.
    values: dict[str, Any] = {}
    for name in MERGED_FIELDS:
        source = _pick(records, name, choices, fallback=survivor)
        provenance[name] = source.id
        values[name] = getattr(source, name)

    trait_keys = list(dict.fromkeys(key for record in records for key in record.traits))
    traits: dict[str, object] = {}
    for key in trait_keys:
        # A key every record leaves blank is kept blank, from the first record that has it.
        holder = next(record for record in records if key in record.traits)
        source = _pick(records, TRAIT_PREFIX + key, choices, fallback=holder)
        # A chosen record without the key drops it: staff chose to remove that trait.
        if key in source.traits:
            traits[key] = source.traits[key]
            provenance[TRAIT_PREFIX + key] = source.id

    store_source = _favorite_store(records)
    provenance[FAVORITE_STORE_FIELD] = store_source.id
    for channel in CONSENT_FIELDS:
        consent_source = _consent(records, channel, provenance)
        provenance[channel] = consent_source.id
        values[channel] = getattr(consent_source, channel)

    result = replace(survivor, **values, traits=traits, favorite_store=store_source.favorite_store)
    return MergePlan(customer=result, provenance=provenance, aliases=_aliases(records, result))
