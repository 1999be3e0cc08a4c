"""A variable that cannot be coerced is refused without echoing the value sent."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Tenant

ORDER = "mutation M($input: OrderRecordInput!) { orderRecord(input: $input) { errors { code } } }"
CREATE = (
    "mutation M($input: CustomerFieldsInput!) { customerCreate(input: $input) { errors { code } } }"
)


async def test_a_missing_field_names_the_field_not_the_values(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    sent = {"customerId": "ada@example.com", "receiptNumber": "+12025550143", "total": "1"}
    body = await gql.raw(ORDER, {"input": sent}, tenant.token)
    (error,) = body["errors"]
    assert "placedAt" in error["message"]
    assert "ada@example.com" not in error["message"]
    assert "12025550143" not in error["message"]
    assert error["message"] != "Unexpected error."


async def test_a_value_of_the_wrong_type_is_not_repeated(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    body = await gql.raw(CREATE, {"input": {"firstName": 2025550143}}, tenant.token)
    (error,) = body["errors"]
    assert ".firstName" in error["message"]
    assert "2025550143" not in error["message"]
    assert error["message"].endswith("value.")
