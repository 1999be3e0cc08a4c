"""Privacy request probes for tests/graphql/test_tenancy.py: organization B against A's requests."""

from __future__ import annotations

from typing import Any, Protocol

from tests.conftest import GraphQLClient

CREATE = """
mutation($input: PrivacyRequestCreateInput!) {
  privacyRequestCreate(input: $input) { privacyRequest { id status } errors { code } }
}"""
LINK = """
mutation($id: ID!) { privacyExportLink(requestId: $id) { link { url } errors { code } } }"""


class IntruderLike(Protocol):
    exercised: set[str]

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...

    async def payload_codes(
        self, document: str, variables: dict[str, Any], token: str | None = None
    ) -> list[str]: ...


async def plant_privacy_request(gql: GraphQLClient, token: str, customer_id: str) -> str:
    """An open export request of A's about A's customer."""
    data = await gql.data(CREATE, {"input": {"kind": "EXPORT", "customerId": customer_id}}, token)
    assert data["privacyRequestCreate"]["errors"] == [], data
    request_id: str = data["privacyRequestCreate"]["privacyRequest"]["id"]
    return request_id


async def probe_privacy_requests(
    b: IntruderLike, a_request_id: str, a_customer_id: str, a_email: str
) -> None:
    one = "query($id: ID!) { privacyRequest(id: $id) { id } }"
    assert (await b.data(one, {"id": a_request_id}))["privacyRequest"] is None
    listing = await b.data("{ privacyRequests(first: 100) { nodes { id } totalCount } }")
    assert listing["privacyRequests"] == {"nodes": [], "totalCount": 0}
    assert await b.payload_codes(LINK, {"id": a_request_id}) == ["EXPORT_UNAVAILABLE"]
    # A's customer, by id or by identifier, is not found from B: nothing is filed against it.
    for target in ({"customerId": a_customer_id}, {"email": a_email}):
        codes = await b.payload_codes(CREATE, {"input": {"kind": "ERASE", **target}})
        assert codes == ["NOT_FOUND"]
