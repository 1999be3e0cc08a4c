"""The duplicate-suggestion API: what staff see, dismiss and configure, and who may."""

from __future__ import annotations

import uuid
from typing import Any

from arq.connections import ArqRedis

from app.models.staff import Role
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff, create_customer
from tests.merges.duplicate_fixtures import recompute

SUGGESTIONS = """
query($first: Int, $after: String, $minScore: Float) {
  duplicateSuggestions(first: $first, after: $after, minScore: $minScore) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id score reasons reasonsText customers { id firstName } }
  }
}"""
CUSTOMER_SUGGESTIONS = """
query($id: ID!) {
  customer(id: $id) { duplicateSuggestions { id customers { id } reasons } }
}"""
DISMISS = """
mutation($ids: [ID!]!) {
  duplicateDismiss(input: {customerIds: $ids}) { customerIds errors { field code message } }
}"""
REFRESH = "mutation { duplicateSuggestionsRefresh { requested errors { code } } }"
PLACEHOLDERS = "{ placeholderIdentifiers { kind value customerCount source } }"
SETTINGS = "{ placeholderSettings { values { kind value } sharedThreshold computedAt } }"
SETTINGS_UPDATE = """
mutation($input: PlaceholderSettingsInput!) {
  placeholderSettingsUpdate(input: $input) {
    settings { values { kind value } sharedThreshold }
    errors { field code message }
  }
}"""


async def plant(gql: GraphQLClient, tenant: Tenant) -> dict[str, str]:
    """Two pairs of duplicates and a stranger, created through the API."""
    token = tenant.token
    made: dict[str, str] = {}
    for key, fields in {
        "ada": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
        "ada2": {"firstName": "Ada", "lastName": "King", "email": "ADA+till@example.com"},
        "bob": {"firstName": "Bob", "lastName": "Hope", "birthday": "1903-05-29"},
        "robert": {"firstName": "Robert", "lastName": "Hope", "birthday": "1903-05-29"},
        "alan": {"firstName": "Alan", "lastName": "Turing", "birthday": "1912-06-23"},
    }.items():
        made[key] = (await create_customer(gql, token, **fields))["id"]
    await recompute(tenant.organization_id)
    return made


def ids_of(node: dict[str, Any]) -> set[str]:
    return {c["id"] for c in node["customers"]}


class TestDuplicateSuggestions:
    async def test_staff_see_suggestions_strongest_first_with_reasons(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        made = await plant(gql, tenant)
        data = await gql.data(SUGGESTIONS, token=tenant.token)
        listing = data["duplicateSuggestions"]
        assert listing["totalCount"] == 2
        nodes = listing["nodes"]
        assert [ids_of(n) for n in nodes] == [
            {made["ada"], made["ada2"]},
            {made["bob"], made["robert"]},
        ] or [ids_of(n) for n in nodes] == [
            {made["bob"], made["robert"]},
            {made["ada"], made["ada2"]},
        ]
        assert nodes[0]["score"] >= nodes[1]["score"]
        by_ids = {frozenset(ids_of(n)): n for n in nodes}
        email = by_ids[frozenset((made["ada"], made["ada2"]))]
        assert email["reasons"] == ["SAME_EMAIL"]
        assert email["reasonsText"] == "Same email."
        named = by_ids[frozenset((made["bob"], made["robert"]))]
        assert named["reasons"] == ["SIMILAR_NAME_SAME_BIRTHDAY"]
        assert named["reasonsText"] == "Similar name and same birthday."

        first = await gql.data(SUGGESTIONS, {"first": 1}, tenant.token)
        page = first["duplicateSuggestions"]
        assert page["pageInfo"]["hasNextPage"] is True
        assert page["totalCount"] == 2
        rest = await gql.data(
            SUGGESTIONS, {"first": 1, "after": page["pageInfo"]["endCursor"]}, tenant.token
        )
        assert [n["id"] for n in page["nodes"] + rest["duplicateSuggestions"]["nodes"]] == [
            n["id"] for n in nodes
        ]
        assert rest["duplicateSuggestions"]["pageInfo"]["hasNextPage"] is False

        strongest = await gql.data(SUGGESTIONS, {"minScore": nodes[0]["score"]}, tenant.token)
        assert strongest["duplicateSuggestions"]["totalCount"] == 1

        mine = await gql.data(CUSTOMER_SUGGESTIONS, {"id": made["robert"]}, tenant.token)
        (suggestion,) = mine["customer"]["duplicateSuggestions"]
        assert ids_of(suggestion) == {made["bob"], made["robert"]}
        alone = await gql.data(CUSTOMER_SUGGESTIONS, {"id": made["alan"]}, tenant.token)
        assert alone["customer"]["duplicateSuggestions"] == []

    async def test_a_customer_list_reads_each_customers_suggestions(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        made = await plant(gql, tenant)
        data = await gql.data(
            "{ customers(first: 20) { nodes { id duplicateSuggestions { customers { id } } } } }",
            token=tenant.token,
        )
        partners = {
            node["id"]: [ids_of(s) for s in node["duplicateSuggestions"]]
            for node in data["customers"]["nodes"]
        }
        pair = {made["bob"], made["robert"]}
        email = {made["ada"], made["ada2"]}
        assert partners == {
            made["ada"]: [email],
            made["ada2"]: [email],
            made["bob"]: [pair],
            made["robert"]: [pair],
            made["alan"]: [],
        }

    async def test_bad_arguments_are_typed_refusals(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for variables, code in (
            ({"minScore": 1.5}, "INVALID_ARGUMENT"),
            ({"first": 101}, "PAGINATION_LIMIT"),
            ({"after": "not a cursor"}, "INVALID_ARGUMENT"),
        ):
            assert await gql.error_codes(SUGGESTIONS, variables, tenant.token) == [code]
        too_many = "{ placeholderIdentifiers(first: 501) { value } }"
        assert await gql.error_codes(too_many, token=tenant.token) == ["PAGINATION_LIMIT"]

    async def test_dismissing_removes_the_suggestion_and_asks_for_a_refresh(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        made = await plant(gql, tenant)
        data = await gql.data(DISMISS, {"ids": [made["bob"], made["robert"]]}, tenant.token)
        assert data["duplicateDismiss"] == {
            "customerIds": [made["bob"], made["robert"]],
            "errors": [],
        }
        listing = await gql.data(SUGGESTIONS, token=tenant.token)
        assert [ids_of(n) for n in listing["duplicateSuggestions"]["nodes"]] == [
            {made["ada"], made["ada2"]}
        ]
        queued = [j.job_id for j in await arq_redis.queued_jobs()]
        assert queued == [f"duplicates:{tenant.organization_id}"]
        await recompute(tenant.organization_id)
        again = await gql.data(SUGGESTIONS, token=tenant.token)
        assert again["duplicateSuggestions"]["totalCount"] == 1

    async def test_dismissal_errors_name_the_field(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        made = await plant(gql, tenant)
        unknown = str(uuid.uuid4())
        for ids, expected in (
            ([made["ada"]], [("customerIds", "TOO_FEW_CUSTOMERS")]),
            ([made["ada"], unknown], [("customerIds.1", "NOT_FOUND")]),
            ([made["ada"], made["ada"]], [("customerIds", "DUPLICATE_CUSTOMER_ID")]),
        ):
            data = await gql.data(DISMISS, {"ids": ids}, tenant.token)
            payload = data["duplicateDismiss"]
            assert payload["customerIds"] == []
            assert [(e["field"], e["code"]) for e in payload["errors"]] == expected
        malformed = await gql.error_codes(DISMISS, {"ids": [made["ada"], "x"]}, tenant.token)
        assert malformed == ["INVALID_ARGUMENT"]

    async def test_refresh_is_asked_for_after_commit_once_per_burst(
        self, gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        for _ in range(3):
            data = await gql.data(REFRESH, token=tenant.token)
            assert data["duplicateSuggestionsRefresh"] == {"requested": True, "errors": []}
        jobs = await arq_redis.queued_jobs()
        assert [(j.job_id, j.function, j.args) for j in jobs] == [
            (
                f"duplicates:{tenant.organization_id}",
                "refresh_duplicate_suggestions",
                (str(tenant.organization_id),),
            )
        ]


class TestPlaceholders:
    async def test_placeholders_show_value_kind_count_and_source_only(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for n in range(7):
            await create_customer(
                gql, tenant.token, firstName=f"Guest{n}", email=f"till+{n}@shop.example"
            )
        await create_customer(gql, tenant.token, firstName="Walk", email="noemail@shop.example")
        await recompute(tenant.organization_id)
        data = await gql.data(PLACEHOLDERS, token=tenant.token)
        assert data["placeholderIdentifiers"] == [
            {"kind": "EMAIL", "value": "till@shop.example", "customerCount": 7, "source": "SHARED"},
            {
                "kind": "EMAIL",
                "value": "noemail@shop.example",
                "customerCount": 1,
                "source": "LISTED",
            },
        ]
        listing = await gql.data(SUGGESTIONS, token=tenant.token)
        assert listing["duplicateSuggestions"]["totalCount"] == 0

    async def test_settings_are_read_and_edited(self, gql: GraphQLClient, tenant: Tenant) -> None:
        before = (await gql.data(SETTINGS, token=tenant.token))["placeholderSettings"]
        assert before["sharedThreshold"] == 5
        assert before["computedAt"] is None
        assert before["values"][:3] == [
            {"kind": "PHONE", "value": "0000000000"},
            {"kind": "PHONE", "value": "1234567890"},
            {"kind": "EMAIL", "value": "noemail@"},
        ]
        data = await gql.data(
            SETTINGS_UPDATE,
            {
                "input": {
                    "values": [
                        {"kind": "PHONE", "value": "(202) 555-0143"},
                        {"kind": "EMAIL", "value": "NoEmail@"},
                        {"kind": "EXTERNAL_REFERENCE", "value": "WALKIN"},
                    ],
                    "sharedThreshold": 9,
                }
            },
            tenant.token,
        )
        assert data["placeholderSettingsUpdate"] == {
            "settings": {
                "values": [
                    {"kind": "PHONE", "value": "+12025550143"},
                    {"kind": "EMAIL", "value": "noemail@"},
                    {"kind": "EXTERNAL_REFERENCE", "value": "WALKIN"},
                ],
                "sharedThreshold": 9,
            },
            "errors": [],
        }
        only_threshold = await gql.data(
            SETTINGS_UPDATE, {"input": {"sharedThreshold": 6}}, tenant.token
        )
        settings = only_threshold["placeholderSettingsUpdate"]["settings"]
        assert settings["sharedThreshold"] == 6
        assert len(settings["values"]) == 3
        edited = await gql.data(
            SETTINGS_UPDATE,
            {
                "input": {
                    "add": [{"kind": "PHONE", "value": "312.555.0188"}],
                    "remove": [{"kind": "PHONE", "value": "202-555-0143"}],
                }
            },
            tenant.token,
        )
        assert edited["placeholderSettingsUpdate"]["settings"]["values"] == [
            {"kind": "EMAIL", "value": "noemail@"},
            {"kind": "EXTERNAL_REFERENCE", "value": "WALKIN"},
            {"kind": "PHONE", "value": "+13125550188"},
        ]

    async def test_bad_settings_are_refused_without_echoing_them(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            SETTINGS_UPDATE,
            {"input": {"values": [{"kind": "EMAIL", "value": "secret person@x"}]}},
            tenant.token,
        )
        payload = data["placeholderSettingsUpdate"]
        assert payload["settings"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("values.0.value", "INVALID_PLACEHOLDER")
        ]
        assert "secret" not in str(payload)
        added = await gql.data(
            SETTINGS_UPDATE,
            {"input": {"add": [{"kind": "PHONE", "value": "+1 (555) call me"}]}},
            tenant.token,
        )
        assert [(e["field"], e["code"]) for e in added["placeholderSettingsUpdate"]["errors"]] == [
            ("add.0.value", "INVALID_PLACEHOLDER")
        ]
        assert "call me" not in str(added)
        threshold = await gql.data(SETTINGS_UPDATE, {"input": {"sharedThreshold": 0}}, tenant.token)
        assert [e["code"] for e in threshold["placeholderSettingsUpdate"]["errors"]] == [
            "INVALID_THRESHOLD"
        ]
        long_value = {"input": {"values": [{"kind": "EXTERNAL_REFERENCE", "value": "x" * 255}]}}
        assert await gql.error_codes(SETTINGS_UPDATE, long_value, tenant.token) == [
            "VALUE_TOO_LONG"
        ]


class TestWhoMay:
    async def test_merging_roles_read_and_dismiss_managers_configure(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        made = await plant(gql, tenant)
        for role, read, configure in (
            (Role.OWNER, True, True),
            (Role.MANAGER, True, True),
            (Role.OPERATOR, True, False),
            (Role.STAFF, False, False),
            (Role.MARKETING, False, False),
            (Role.ANALYST, False, False),
        ):
            member = await add_staff(tenant, role)
            for document, variables in (
                (SUGGESTIONS, {}),
                (CUSTOMER_SUGGESTIONS, {"id": made["bob"]}),
                (PLACEHOLDERS, {}),
                (SETTINGS, {}),
                (REFRESH, {}),
                (DISMISS, {"ids": [made["alan"], made["bob"]]}),
            ):
                codes = await gql.error_codes(document, variables, member.token)
                assert codes == ([] if read else ["FORBIDDEN"]), (role, document)
            update = {"input": {"sharedThreshold": 5}}
            codes = await gql.error_codes(SETTINGS_UPDATE, update, member.token)
            assert codes == ([] if configure else ["FORBIDDEN"]), role
