"""Campaign probes for tests/graphql/test_tenancy.py: organization B against A's campaigns,
personas and roadmap items."""

from __future__ import annotations

from typing import Any, Protocol

from tests.conftest import GraphQLClient
from tests.privacy_requests.tenancy_probes import IntruderLike


class Intruder(IntruderLike, Protocol):
    async def raw(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...


CREATE = """
mutation($input: CampaignCreateInput!) {
  campaignCreate(input: $input) { campaign { id status } errors { field code } }
}"""
ONE = "query($id: ID!) { campaign(id: $id) { id } }"
PREVIEW = """
query($audience: CustomerWhereInput!) {
  campaignPreview(audience: $audience, points: 1) { customers }
}"""
BY_ID = {
    "campaignUpdate": 'mutation($id: ID!) { campaignUpdate(id: $id, input: {name: "mine"}) {'
    " campaign { id } errors { code } } }",
    "campaignSchedule": "mutation($id: ID!) { campaignSchedule(id: $id) {"
    " campaign { id } errors { code } } }",
    "campaignCancel": "mutation($id: ID!) { campaignCancel(id: $id) {"
    " campaign { id } errors { code } } }",
}
APPLY = """mutation($id: ID!) {
  roadmapItemApply(id: $id) { applied { campaign { id } } errors { code } }
}"""


def campaign_input(audience: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Probe", "audience": audience, "points": 5, "reason": "probe"}


async def plant_campaign(gql: GraphQLClient, token: str) -> str:
    """A DRAFT campaign of A's for all its customers."""
    data = await gql.data(CREATE, {"input": campaign_input({})}, token)
    assert data["campaignCreate"]["errors"] == [], data
    campaign_id: str = data["campaignCreate"]["campaign"]["id"]
    return campaign_id


async def probe_campaigns(
    b: Intruder, a_campaign_id: str, a_persona_id: str, a_roadmap_item_id: str, a_store_id: str
) -> None:
    assert (await b.data(ONE, {"id": a_campaign_id}))["campaign"] is None
    listing = await b.data("{ campaigns(first: 100) { nodes { id } totalCount } }")
    assert listing["campaigns"] == {"nodes": [], "totalCount": 0}
    for document in BY_ID.values():
        assert await b.payload_codes(document, {"id": a_campaign_id}) == ["NOT_FOUND"]
    assert await b.payload_codes(APPLY, {"id": a_roadmap_item_id}) == ["NOT_FOUND"]
    # A's persona and store are unknown to B: neither an audience nor a preview of one.
    for audience in ({"personaId": a_persona_id}, {"favoriteStoreId": a_store_id}):
        assert await b.payload_codes(CREATE, {"input": campaign_input(audience)}) == [
            "INVALID_AUDIENCE"
        ]
        refused = await b.raw(PREVIEW, {"audience": audience})
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["INVALID_ARGUMENT"]
