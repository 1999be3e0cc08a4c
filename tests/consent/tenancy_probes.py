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


SETTINGS = "{ smsSettings { fromNumber programName supportContact } }"
UPDATE_SETTINGS = """
mutation($input: SmsSettingsInput!) {
  smsSettingsUpdate(input: $input) { smsSettings { fromNumber programName } errors { code } }
}"""
A_PROGRAM = {"fromNumber": "+15005550011", "programName": "A's Secret Perks"}


async def plant_sms_settings(gql: GraphQLClient, token: str) -> None:
    """A's own sender and program name."""
    data = await gql.data(UPDATE_SETTINGS, {"input": A_PROGRAM}, token)
    assert data["smsSettingsUpdate"]["errors"] == [], data


async def probe_sms_settings(b: IntruderLike, gql: GraphQLClient, a_token: str) -> None:
    """B reads and changes its own SMS settings only."""
    mine = await b.data(SETTINGS)
    assert mine["smsSettings"]["fromNumber"] is None
    assert mine["smsSettings"]["programName"] != A_PROGRAM["programName"]
    changed = await b.data(UPDATE_SETTINGS, {"input": {"programName": "B Perks"}})
    assert changed["smsSettingsUpdate"]["smsSettings"]["programName"] == "B Perks"
    a_side = await gql.data(SETTINGS, token=a_token)
    assert a_side["smsSettings"]["fromNumber"] == A_PROGRAM["fromNumber"]
    assert a_side["smsSettings"]["programName"] == A_PROGRAM["programName"]
