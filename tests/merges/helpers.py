"""GraphQL documents and small steps shared by the merge tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

MERGE = """
mutation($input: CustomerMergeInput!) {
  customerMerge(input: $input) {
    merge { id survivorId mergedIds undone provenance { field customerId } }
    customer { id status email phone externalReference firstName lastName birthday traits
               consent { emailOptIn smsState } wallet { balance lifetimePoints } orderCount }
    provenance { field customerId }
    errors { field code message }
  }
}"""
UNMERGE = """
mutation($id: ID!) {
  customerUnmerge(mergeId: $id) { merge { id undone undoneAt } errors { field code message } }
}"""
# Everything a customer shows that a merge may change (read back for snapshot equality).
CUSTOMER = """
query($id: ID!) {
  customer(id: $id) {
    id status email phone externalReference firstName lastName birthday traits
    address { city region postalCode country } loyaltyEnrolled archivedAt archiveReason
    favoriteStore { source store { id } } consent { emailOptIn smsState pushOptIn }
    lifecycleStage orderCount totalSpent lastOrderAt mergedIntoId
    wallet { balance lifetimePoints }
  }
}"""
EARN = """
mutation($id: ID!, $points: Int!, $key: String!) {
  walletEarn(customerId: $id, points: $points, reason: "test", idempotencyKey: $key) {
    errors { code }
  }
}"""
ORDER = """
mutation($input: OrderRecordInput!) { orderRecord(input: $input) { order { id } errors { code } } }
"""


async def merge(
    gql: GraphQLClient, token: str, survivor: str, merged: list[str], **extra: Any
) -> dict[str, Any]:
    data = await gql.data(
        MERGE, {"input": {"survivorId": survivor, "mergedIds": merged, **extra}}, token
    )
    payload: dict[str, Any] = data["customerMerge"]
    return payload


async def merged_ok(
    gql: GraphQLClient, token: str, survivor: str, merged: list[str], **extra: Any
) -> dict[str, Any]:
    payload = await merge(gql, token, survivor, merged, **extra)
    assert payload["errors"] == [], payload["errors"]
    return payload


async def unmerge(gql: GraphQLClient, token: str, merge_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(UNMERGE, {"id": merge_id}, token))["customerUnmerge"]
    return payload


async def read(gql: GraphQLClient, token: str, customer_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await gql.data(CUSTOMER, {"id": customer_id}, token))[
        "customer"
    ]
    return found


async def earn(gql: GraphQLClient, token: str, customer_id: str, points: int, key: str) -> None:
    data = await gql.data(EARN, {"id": customer_id, "points": points, "key": key}, token)
    assert data["walletEarn"]["errors"] == []


async def order(gql: GraphQLClient, token: str, customer_id: str, receipt: str, total: str) -> str:
    data = await gql.data(
        ORDER,
        {
            "input": {
                "customerId": customer_id,
                "receiptNumber": receipt,
                "total": total,
                "placedAt": "2026-01-15T12:00:00Z",
            }
        },
        token,
    )
    assert data["orderRecord"]["errors"] == []
    return str(data["orderRecord"]["order"]["id"])
