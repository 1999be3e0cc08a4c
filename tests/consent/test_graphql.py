"""`smsMessages`: staff read texts both ways, filtered and paginated; roles without customer
read are refused."""

from __future__ import annotations

from app.auth.permissions import Operation, role_allows
from app.auth.principal import Principal
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.models.message import MessageChannel, MessagePurpose
from app.models.staff import Role
from tests.consent.conftest import SHOPPER, SmsLoop, local_time
from tests.factories import add_staff

MESSAGES = """
query($customerId: ID, $status: SmsMessageStatus, $first: Int, $after: String) {
  smsMessages(customerId: $customerId, status: $status, first: $first, after: $after) {
    nodes { direction purpose status phone body intent customerId createdAt deliveredAt }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def conversation(sms_loop: SmsLoop) -> str:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        await sms_loop.run_worker()
        await sms_loop.reply("YES", "SM" + "1" * 32)
        await sms_loop.reply("help", "SM" + "2" * 32)
        await sms_loop.run_worker()
    return customer_id


async def test_lists_both_directions_newest_first(sms_loop: SmsLoop) -> None:
    customer_id = await conversation(sms_loop)
    data = await sms_loop.gql.data(MESSAGES, {"customerId": customer_id}, sms_loop.tenant.token)
    nodes = data["smsMessages"]["nodes"]
    assert [(n["direction"], n["purpose"], n["status"]) for n in nodes] == [
        ("OUTBOUND", "HELP", "DELIVERED"),
        ("INBOUND", "REPLY", "RECEIVED"),
        ("INBOUND", "REPLY", "RECEIVED"),
        ("OUTBOUND", "DOUBLE_OPT_IN", "DELIVERED"),
    ]
    assert {n["phone"] for n in nodes} == {SHOPPER}
    assert {n["customerId"] for n in nodes} == {customer_id}
    assert [n["intent"] for n in nodes[1:3]] == ["HELP", "CONFIRM"]
    assert nodes[2]["body"] == "YES"
    assert "Reply YES to confirm" in nodes[3]["body"]


async def test_filters_by_status_and_pages(sms_loop: SmsLoop) -> None:
    await conversation(sms_loop)
    token = sms_loop.tenant.token
    received = await sms_loop.gql.data(MESSAGES, {"status": "RECEIVED"}, token)
    assert [n["body"] for n in received["smsMessages"]["nodes"]] == ["help", "YES"]
    delivered = await sms_loop.gql.data(MESSAGES, {"status": "DELIVERED"}, token)
    assert [n["purpose"] for n in delivered["smsMessages"]["nodes"]] == ["HELP", "DOUBLE_OPT_IN"]
    first = await sms_loop.gql.data(MESSAGES, {"first": 3}, token)
    assert first["smsMessages"]["pageInfo"]["hasNextPage"] is True
    cursor = first["smsMessages"]["pageInfo"]["endCursor"]
    rest = await sms_loop.gql.data(MESSAGES, {"first": 3, "after": cursor}, token)
    assert [n["purpose"] for n in rest["smsMessages"]["nodes"]] == ["DOUBLE_OPT_IN"]
    assert rest["smsMessages"]["pageInfo"]["hasNextPage"] is False


async def test_verification_codes_are_never_shown(sms_loop: SmsLoop) -> None:
    await enqueue_message(
        Principal.system(sms_loop.tenant.organization_id),
        NewMessage(
            channel=MessageChannel.SMS,
            purpose=MessagePurpose.VERIFICATION_CODE,
            recipient=SHOPPER,
            body="Your code is 493817",
            idempotency_key="code-1",
        ),
    )
    data = await sms_loop.gql.data(MESSAGES, {}, sms_loop.tenant.token)
    [node] = data["smsMessages"]["nodes"]
    assert node["purpose"] == "VERIFICATION_CODE"
    assert "493817" not in node["body"]


async def test_bad_input_is_a_typed_error(sms_loop: SmsLoop) -> None:
    token = sms_loop.tenant.token
    assert await sms_loop.gql.error_codes(MESSAGES, {"after": "nonsense"}, token) == [
        "INVALID_ARGUMENT"
    ]
    assert await sms_loop.gql.error_codes(MESSAGES, {"customerId": "x"}, token) == [
        "INVALID_ARGUMENT"
    ]
    assert await sms_loop.gql.error_codes(MESSAGES, {"first": 1000}, token) != []


async def test_roles_without_customer_read_are_refused(sms_loop: SmsLoop) -> None:
    for role in Role:
        member = await add_staff(sms_loop.tenant, role)
        codes = await sms_loop.gql.error_codes(MESSAGES, {}, member.token)
        expected = [] if role_allows(role, Operation.CUSTOMER_READ) else ["FORBIDDEN"]
        assert codes == expected, role
