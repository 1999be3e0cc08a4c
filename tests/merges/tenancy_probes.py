"""Merge probes for tests/graphql/test_tenancy.py: organization B against A's merges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import GraphQLClient
from tests.factories import create_customer
from tests.imports.tenancy_probes import IntruderLike
from tests.merges.helpers import merged_ok

MERGED_EMAIL = "mo@a-shop.com"
MERGED_PHONE = "+12025550188"


@dataclass(frozen=True)
class PlantedMerge:
    merge_id: str
    survivor_id: str
    merged_id: str

    @property
    def ids(self) -> set[str]:
        return {self.merge_id, self.survivor_id, self.merged_id}


async def plant_merge(gql: GraphQLClient, token: str) -> PlantedMerge:
    """A standing merge of A's: Mo (email and phone now aliases) folded into Mel."""
    survivor = await create_customer(gql, token, firstName="Mel", email="mel@a-shop.com")
    merged = await create_customer(
        gql, token, firstName="Mo", email=MERGED_EMAIL, phone=MERGED_PHONE
    )
    payload = await merged_ok(gql, token, survivor["id"], [merged["id"]])
    return PlantedMerge(payload["merge"]["id"], survivor["id"], merged["id"])


async def probe_merges(b: IntruderLike, a: PlantedMerge, b_customer_id: str) -> None:
    listing = await b.data("{ merges(first: 100) { totalCount nodes { id } } }")
    assert listing["merges"] == {"totalCount": 0, "nodes": []}

    merge = (
        "mutation($input: CustomerMergeInput!) { customerMerge(input: $input) {"
        " merge { id } customer { id } errors { code } } }"
    )
    for survivor, merged in (
        (b_customer_id, [a.survivor_id]),
        (b_customer_id, [a.merged_id]),
        (a.survivor_id, [b_customer_id]),
    ):
        for dry_run in (True, False):
            variables: dict[str, Any] = {
                "input": {"survivorId": survivor, "mergedIds": merged, "dryRun": dry_run}
            }
            assert await b.payload_codes(merge, variables) == ["CUSTOMER_NOT_FOUND"]
    unmerge = (
        "mutation($id: ID!) { customerUnmerge(mergeId: $id) { merge { id } errors { code } } }"
    )
    assert await b.payload_codes(unmerge, {"id": a.merge_id}) == ["MERGE_NOT_FOUND"]

    # A's aliases lead nowhere in B, on every lookup path.
    found = await b.data(
        "query($e: String, $p: String) { customer(email: $e) { id } byPhone: customer(phone: $p)"
        " { id } wallet(email: $e) { customerId } }",
        {"e": MERGED_EMAIL, "p": MERGED_PHONE},
    )
    assert found == {"customer": None, "byPhone": None, "wallet": None}
    for term in (f"merge:{MERGED_EMAIL}", f"merge:{MERGED_PHONE}", a.merged_id, MERGED_EMAIL):
        listed = await b.data(
            "query($s: String!) { customers(search: $s, includeArchived: true) { nodes { id } } }",
            {"s": term},
        )
        assert listed["customers"]["nodes"] == [], term
