"""SMS message probes for tests/graphql/test_tenancy.py: organization B against A's texts."""

from __future__ import annotations

from typing import Any, Protocol

from tests.conftest import GraphQLClient

LIST = """
query($customerId: ID) {
  smsMessages(customerId: $customerId, first: 100) { nodes { id body phone } totalCount }
}"""


class IntruderLike(Protocol):
    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...


async def plant_sms_message(gql: GraphQLClient, token: str) -> str:
    """A customer of A's opted in to texts: A's outbox holds its confirmation request."""
    data = await gql.data(
        """mutation { customerCreate(input: {phone: "+12025550166", smsOptIn: true})
             { customer { id } errors { code } } }""",
        token=token,
    )
    assert data["customerCreate"]["errors"] == [], data
    customer_id: str = data["customerCreate"]["customer"]["id"]
    mine = await gql.data(LIST, {"customerId": customer_id}, token)
    assert mine["smsMessages"]["totalCount"] == 1, mine
    return customer_id


async def probe_sms_messages(b: IntruderLike, a_sms_customer_id: str) -> None:
    for variables in ({}, {"customerId": a_sms_customer_id}):
        listing = await b.data(LIST, variables)
        assert listing["smsMessages"] == {"nodes": [], "totalCount": 0}
