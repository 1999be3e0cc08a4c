"""The pure merge plan: field, trait, favorite store and consent rules, aliases, typed errors."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import DomainError
from app.merges.errors import MergeErrorCode
from app.merges.records import (
    Alias,
    FavoriteStore,
    IdentifierKind,
    MergeCustomer,
)
from app.merges.rules import plan_merge
from app.models.customer import FavoriteStoreSource, SmsState

STORE_A = uuid.UUID(int=1001)
STORE_B = uuid.UUID(int=1002)
# Stated here from the product brief, strongest first, not read from the code under test.
PRECEDENCE = ["WALLET_APP", "SIGNUP_FORM", "IMPORT", "PURCHASE_HISTORY"]
TEXT_FIELDS = ["first_name", "last_name", "city", "region", "postal_code", "country"]
CONSENT = ["email_consent", "sms_consent", "push_consent"]


def customer(n: int, **values: Any) -> MergeCustomer:
    return MergeCustomer(id=uuid.UUID(int=n), **values)


def code_of(survivor: MergeCustomer, merged: list[MergeCustomer], **kwargs: Any) -> str:
    with pytest.raises(DomainError) as caught:
        plan_merge(survivor, merged, **kwargs)
    return str(caught.value.code)


class TestFields:
    def test_survivor_values_win_and_blanks_fill_in_order(self) -> None:
        survivor = customer(1, first_name="Ada", last_name="", city=None)
        first = customer(2, first_name="Adeline", last_name="Lovelace", city=None)
        second = customer(3, last_name="King", city="London", birthday=dt.date(1815, 12, 10))
        plan = plan_merge(survivor, [first, second])
        result = plan.customer
        assert (result.id, result.first_name, result.last_name) == (survivor.id, "Ada", "Lovelace")
        assert (result.city, result.birthday) == ("London", dt.date(1815, 12, 10))
        assert plan.provenance["first_name"] == survivor.id
        assert plan.provenance["last_name"] == first.id
        assert plan.provenance["city"] == second.id
        assert plan.provenance["region"] == survivor.id  # blank everywhere: stays the survivor's

    def test_a_field_choice_overrides_the_survivor(self) -> None:
        survivor = customer(1, first_name="Ada", birthday=dt.date(1990, 1, 1))
        other = customer(2, first_name="Augusta", birthday=dt.date(1815, 12, 10))
        plan = plan_merge(survivor, [other], field_choices={"birthday": other.id})
        assert plan.customer.birthday == dt.date(1815, 12, 10)
        assert plan.customer.first_name == "Ada"
        assert plan.provenance["birthday"] == other.id

    def test_traits_merge_key_by_key(self) -> None:
        survivor = customer(1, traits={"size": "M", "pets": [], "vip": False})
        first = customer(2, traits={"size": "L", "pets": ["cat"], "shoe": 38})
        second = customer(3, traits={"shoe": 40, "color": "red"})
        plan = plan_merge(survivor, [first, second], field_choices={"traits.shoe": second.id})
        assert plan.customer.traits == {
            "size": "M",
            "pets": ["cat"],
            "vip": False,  # False is a value, not a blank
            "shoe": 40,
            "color": "red",
        }
        assert plan.provenance["traits.pets"] == first.id
        assert plan.provenance["traits.shoe"] == second.id

    def test_identifiers_of_the_merged_become_aliases(self) -> None:
        survivor = customer(1, email="ada@example.com", phone=None)
        other = customer(
            2, email="ada.l@example.com", phone="+12025550143", external_reference="X9"
        )
        plan = plan_merge(survivor, [other])
        assert plan.customer.email == "ada@example.com"
        assert plan.customer.phone == "+12025550143"  # a blank filled like any field
        assert plan.aliases == (Alias(IdentifierKind.EMAIL, "ada.l@example.com", other.id),)

    def test_a_replaced_survivor_identifier_becomes_an_alias_too(self) -> None:
        survivor = customer(1, email="old@example.com")
        other = customer(2, email="new@example.com")
        plan = plan_merge(survivor, [other], field_choices={"email": other.id})
        assert plan.customer.email == "new@example.com"
        assert plan.aliases == (Alias(IdentifierKind.EMAIL, "old@example.com", survivor.id),)


class TestFavoriteStore:
    @pytest.mark.parametrize("survivor_source", PRECEDENCE)
    @pytest.mark.parametrize("merged_source", PRECEDENCE)
    def test_the_stronger_source_wins(self, survivor_source: str, merged_source: str) -> None:
        survivor = customer(
            1, favorite_store=FavoriteStore(STORE_A, FavoriteStoreSource(survivor_source))
        )
        other = customer(
            2, favorite_store=FavoriteStore(STORE_B, FavoriteStoreSource(merged_source))
        )
        plan = plan_merge(survivor, [other])
        stronger = PRECEDENCE.index(merged_source) < PRECEDENCE.index(survivor_source)
        assert plan.customer.favorite_store == (
            other.favorite_store if stronger else survivor.favorite_store
        )

    def test_a_blank_favorite_store_is_filled(self) -> None:
        other = customer(2, favorite_store=FavoriteStore(STORE_B, FavoriteStoreSource.IMPORT))
        plan = plan_merge(customer(1), [other])
        assert plan.customer.favorite_store == other.favorite_store
        assert plan.provenance["favorite_store"] == other.id


class TestConsent:
    def test_sms_unsubscribed_beats_subscribed(self) -> None:
        survivor = customer(1, phone="+12025550143", sms_consent=SmsState.SUBSCRIBED)
        other = customer(2, phone="+12025550199", sms_consent=SmsState.UNSUBSCRIBED)
        plan = plan_merge(survivor, [other])
        assert plan.customer.sms_consent is SmsState.UNSUBSCRIBED
        assert plan.provenance["sms_consent"] == other.id

    def test_sms_consent_follows_the_number_kept(self) -> None:
        # The merged record's YES was for its own number, which becomes an alias.
        survivor = customer(1, phone="+12025550143")
        other = customer(2, phone="+12025550199", sms_consent=SmsState.SUBSCRIBED)
        assert plan_merge(survivor, [other]).customer.sms_consent is SmsState.NOT_SUBSCRIBED
        blank = customer(3)
        assert plan_merge(blank, [other]).customer.sms_consent is SmsState.SUBSCRIBED

    def test_push_takes_the_strongest_state(self) -> None:
        survivor = customer(1)
        other = customer(2, push_consent=SmsState.SUBSCRIBED)
        assert plan_merge(survivor, [other]).customer.push_consent is SmsState.SUBSCRIBED

    def test_consent_cannot_be_chosen(self) -> None:
        other = customer(2, email_consent=SmsState.SUBSCRIBED)
        code = code_of(customer(1), [other], field_choices={"email_consent": other.id})
        assert code == MergeErrorCode.INVALID_FIELD_CHOICE


class TestRefusals:
    def test_merging_with_itself(self) -> None:
        survivor = customer(1)
        assert code_of(survivor, [customer(2), survivor]) == MergeErrorCode.MERGE_WITH_ITSELF

    def test_more_than_nine(self) -> None:
        merged = [customer(n) for n in range(2, 12)]
        assert code_of(customer(1), merged) == MergeErrorCode.TOO_MANY_MERGED
        assert plan_merge(customer(1), merged[:9]).customer.id == uuid.UUID(int=1)

    def test_duplicates_in_the_list(self) -> None:
        assert code_of(customer(1), [customer(2), customer(2)]) == (
            MergeErrorCode.DUPLICATE_MERGED_ID
        )

    def test_nothing_to_merge(self) -> None:
        assert code_of(customer(1), []) == MergeErrorCode.NOTHING_TO_MERGE

    @pytest.mark.parametrize(
        ("key", "record"),
        [("birthday", 9), ("nickname", 2), ("traits.unknown", 2), ("favorite_store", 2)],
    )
    def test_invalid_field_choices(self, key: str, record: int) -> None:
        other = customer(2, traits={"size": "M"})
        choices = {key: uuid.UUID(int=record)}
        assert code_of(customer(1), [other], field_choices=choices) == (
            MergeErrorCode.INVALID_FIELD_CHOICE
        )

    def test_messages_do_not_echo_values(self) -> None:
        other = customer(2, email="secret@example.com")
        with pytest.raises(DomainError) as caught:
            plan_merge(other, [other])
        assert "secret" not in caught.value.message


# Properties over random records: a small alphabet so records often share and blank values.
_text = st.one_of(st.none(), st.sampled_from(["", "a", "b", "c"]))
_state = st.sampled_from(list(SmsState))
_store = st.one_of(
    st.none(),
    st.builds(
        FavoriteStore,
        st.sampled_from([STORE_A, STORE_B]),
        st.sampled_from(list(FavoriteStoreSource)),
    ),
)
_traits = st.dictionaries(
    st.sampled_from(["k1", "k2", "k3"]), st.one_of(st.none(), st.sampled_from(["", "x", 0, []]))
)


# A survivor, the merged records and staff choices.
Case = tuple[MergeCustomer, list[MergeCustomer], dict[str, uuid.UUID]]


@st.composite
def merge_case(draw: st.DrawFn) -> Case:
    count = draw(st.integers(min_value=2, max_value=10))
    records = [
        MergeCustomer(
            id=uuid.UUID(int=n + 1),
            email=draw(_text),
            phone=draw(_text),
            first_name=draw(_text),
            city=draw(_text),
            birthday=draw(st.one_of(st.none(), st.just(dt.date(2000, 1, 1)))),
            traits=draw(_traits),
            favorite_store=draw(_store),
            email_consent=draw(_state),
            sms_consent=draw(_state),
            push_consent=draw(_state),
        )
        for n in range(count)
    ]
    ids = [record.id for record in records]
    choices = draw(
        st.dictionaries(
            st.sampled_from(["email", "first_name", "city", "birthday"]), st.sampled_from(ids)
        )
    )
    return records[0], records[1:], choices


class TestProperties:
    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_the_plan_is_deterministic(self, case: Case) -> None:
        survivor, merged, choices = case
        assert plan_merge(survivor, merged, choices) == plan_merge(survivor, merged, dict(choices))

    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_no_survivor_value_is_lost_without_a_choice(self, case: Case) -> None:
        survivor, merged, choices = case
        result = plan_merge(survivor, merged, choices).customer
        for name in ("email", "phone", "first_name", "city", "birthday"):
            own = getattr(survivor, name)
            if own not in (None, "") and name not in choices:
                assert getattr(result, name) == own
        for key, value in survivor.traits.items():
            if value not in (None, "", []):
                assert result.traits[key] == value

    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_every_provenance_names_a_record_holding_the_value(self, case: Case) -> None:
        survivor, merged, choices = case
        plan = plan_merge(survivor, merged, choices)
        by_id = {record.id: record for record in (survivor, *merged)}
        result = plan.customer
        for key, source_id in plan.provenance.items():
            source = by_id[source_id]
            if key.startswith("traits."):
                trait = key.removeprefix("traits.")
                assert source.traits[trait] == result.traits[trait]
            else:
                assert getattr(source, key) == getattr(result, key), key
        assert set(result.traits) <= {key.removeprefix("traits.") for key in plan.provenance}

    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_an_opt_out_anywhere_wins(self, case: Case) -> None:
        survivor, merged, choices = case
        result = plan_merge(survivor, merged, choices).customer
        for channel in CONSENT:
            opted_out = any(
                getattr(record, channel) is SmsState.UNSUBSCRIBED for record in (survivor, *merged)
            )
            assert (getattr(result, channel) is SmsState.UNSUBSCRIBED) == opted_out

    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_favorite_store_never_goes_to_a_weaker_source(self, case: Case) -> None:
        survivor, merged, choices = case
        stores = [r.favorite_store for r in (survivor, *merged) if r.favorite_store is not None]
        result = plan_merge(survivor, merged, choices).customer.favorite_store
        if not stores:
            assert result is None
        else:
            assert result is not None
            best = min(PRECEDENCE.index(store.source) for store in stores)
            assert PRECEDENCE.index(result.source) == best

    @settings(max_examples=100, deadline=None)
    @given(merge_case())
    def test_every_identifier_stays_live_or_becomes_an_alias(self, case: Case) -> None:
        survivor, merged, choices = case
        plan = plan_merge(survivor, merged, choices)
        aliases = {(alias.kind, alias.value) for alias in plan.aliases}
        for record in (survivor, *merged):
            for name, kind in (("email", IdentifierKind.EMAIL), ("phone", IdentifierKind.PHONE)):
                value = getattr(record, name)
                if value:
                    assert value == getattr(plan.customer, name) or (kind, value) in aliases


def test_the_input_records_are_not_changed() -> None:
    survivor = customer(1, traits={"a": 1})
    other = customer(2, traits={"b": 2})
    before = (replace(survivor), replace(other))
    plan_merge(survivor, [other])
    assert (survivor, other) == before
    assert survivor.traits == {"a": 1}
