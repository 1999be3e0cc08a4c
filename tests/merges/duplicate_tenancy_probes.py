"""Duplicate probes for tests/graphql/test_tenancy.py: organization B against A's suggestions,
dismissals and placeholder settings."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer
from tests.imports.tenancy_probes import IntruderLike
from tests.merges.duplicate_fixtures import recompute

SETTINGS_UPDATE = """
mutation($input: PlaceholderSettingsInput!) {
  placeholderSettingsUpdate(input: $input) {
    settings { values { kind value } sharedThreshold } errors { code }
  }
}"""
# What A reads of its own duplicates, for the before/after snapshot.
SNAPSHOT_FIELDS = """
  duplicateSuggestions(first: 100) { totalCount nodes { id score reasons customers { id } } }
  placeholderIdentifiers { kind value customerCount source }
  placeholderSettings { values { kind value } sharedThreshold computedAt }
"""


async def plant_duplicates(gql: GraphQLClient, tenant: Tenant, customer_id: str) -> dict[str, str]:
    """A twin of A's customer (the same mailbox with a +tag), A's phone on A's placeholder
    list, and A's suggestions computed."""
    twin = await create_customer(
        gql, tenant.token, firstName="Alicia", lastName="Anders", email="alice+pos@a-shop.com"
    )
    settings = await gql.data(
        SETTINGS_UPDATE,
        {"input": {"values": [{"kind": "PHONE", "value": "+1 202 555 0143"}]}},
        tenant.token,
    )
    assert settings["placeholderSettingsUpdate"]["errors"] == []
    await recompute(tenant.organization_id)
    listing = await gql.data("{ duplicateSuggestions { nodes { id } } }", token=tenant.token)
    (suggestion,) = listing["duplicateSuggestions"]["nodes"]
    return {"twin_id": twin["id"], "suggestion_id": suggestion["id"]}


async def probe_duplicates(
    b: IntruderLike, customer_ids: list[str], b_organization_id: Any
) -> None:
    listing = await b.data(
        "{ duplicateSuggestions(first: 100, minScore: 0) {"
        " totalCount nodes { id customers { id } } } }"
    )
    assert listing["duplicateSuggestions"] == {"totalCount": 0, "nodes": []}
    assert (await b.data("{ placeholderIdentifiers { value } }"))["placeholderIdentifiers"] == []
    settings = await b.data("{ placeholderSettings { values { value } computedAt } }")
    assert settings["placeholderSettings"]["computedAt"] is None
    assert "+12025550143" not in str(settings)
    for customer_id in customer_ids:
        found = await b.data(
            "query($id: ID!) { customer(id: $id) { duplicateSuggestions { id } } }",
            {"id": customer_id},
        )
        assert found["customer"] is None

    dismiss = (
        "mutation($ids: [ID!]!) { duplicateDismiss(input: {customerIds: $ids}) {"
        " customerIds errors { field code } } }"
    )
    assert await b.payload_codes(dismiss, {"ids": customer_ids}) == ["NOT_FOUND"]
    refreshed = await b.data("mutation { duplicateSuggestionsRefresh { requested } }")
    assert refreshed["duplicateSuggestionsRefresh"]["requested"] is True
    # B's settings are B's: A's list and threshold are not changed by them.
    assert (
        await b.payload_codes(
            SETTINGS_UPDATE,
            {
                "input": {
                    "values": [{"kind": "EMAIL", "value": "alice@a-shop.com"}],
                    "sharedThreshold": 2,
                }
            },
        )
        == []
    )
    # B's recompute reads B's customers only.
    await recompute(b_organization_id)
    again = await b.data("{ duplicateSuggestions { totalCount } }")
    assert again["duplicateSuggestions"]["totalCount"] == 0
