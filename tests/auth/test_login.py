"""Staff emails per organization, sign-in across organizations, and sign-in throttling."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq.connections import ArqRedis, create_pool

from app.auth.login import login
from app.auth.throttle import Limits, LoginThrottle, ThrottlePolicy
from app.core.errors import DomainError
from app.core.secrets import hash_password
from app.models.audit import AuditAction, AuditEvent
from app.models.staff import Role, Staff
from tests.conftest import GraphQLClient, Tenant
from tests.factories import STAFF_PASSWORD, add_staff
from workers.settings import redis_settings

LOGIN = """
mutation($email: String!, $password: String!, $org: ID) {
  login(email: $email, password: $password, organizationId: $org) {
    token staff { id email } organizations { id name } errors { field code message }
  }
}"""
STAFF_CREATE = """
mutation($input: StaffCreateInput!) {
  staffCreate(input: $input) { staff { id email } errors { field code message } }
}"""
VIEWER = "{ viewer { organizationId } }"
SECRET = "test-secret-key-" + "x" * 32


async def sign_in(
    gql: GraphQLClient, email: str, password: str, org: object = None
) -> dict[str, Any]:
    variables = {"email": email, "password": password, "org": str(org) if org else None}
    payload: dict[str, Any] = (await gql.data(LOGIN, variables))["login"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def staff_in(tenant: Tenant, email: str, password: str = STAFF_PASSWORD) -> Staff:
    return await Staff.create(
        organization_id=tenant.organization_id,
        email=email,
        role=Role.MANAGER,
        password_hash=hash_password(password),
    )


class TestStaffEmailPerOrganization:
    async def test_staff_elsewhere_is_not_revealed(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        elsewhere = await add_staff(other_tenant, Role.STAFF)
        data = await gql.data(
            STAFF_CREATE,
            {"input": {"email": elsewhere.email, "role": "STAFF", "password": "long enough pw"}},
            tenant.token,
        )
        assert data["staffCreate"]["errors"] == []
        assert data["staffCreate"]["staff"]["email"] == elsewhere.email
        assert await Staff.filter(email=elsewhere.email).count() == 2

    async def test_twice_in_one_organization_is_a_duplicate(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        member = await add_staff(tenant, Role.STAFF)
        data = await gql.data(
            STAFF_CREATE,
            {"input": {"email": member.email, "role": "STAFF", "password": "long enough pw"}},
            tenant.token,
        )
        assert codes(data["staffCreate"]) == ["DUPLICATE_EMAIL"]

    async def test_the_database_refuses_a_duplicate_within_an_organization(
        self, tenant: Tenant
    ) -> None:
        await staff_in(tenant, "twice@example.com")
        with pytest.raises(Exception, match=r"(?i)unique"):
            await staff_in(tenant, "twice@example.com")


class TestLoginAcrossOrganizations:
    async def test_one_password_for_two_organizations_asks_which(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await staff_in(tenant, "both@example.com")
        await staff_in(other_tenant, "both@example.com")
        payload = await sign_in(gql, "both@example.com", STAFF_PASSWORD)
        assert payload["token"] is None
        assert codes(payload) == ["ORGANIZATION_REQUIRED"]
        assert payload["errors"][0]["field"] == "organizationId"
        assert {o["id"] for o in payload["organizations"]} == {
            str(tenant.organization_id),
            str(other_tenant.organization_id),
        }
        named = await sign_in(gql, "both@example.com", STAFF_PASSWORD, other_tenant.organization_id)
        assert named["errors"] == []
        viewer = await gql.data(VIEWER, token=named["token"])
        assert viewer["viewer"]["organizationId"] == str(other_tenant.organization_id)

    async def test_a_password_opens_only_its_own_organization(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        mine = await staff_in(tenant, "two@example.com", "my own password")
        await staff_in(other_tenant, "two@example.com", "another password")
        payload = await sign_in(gql, "two@example.com", "my own password")
        assert payload["errors"] == []
        assert payload["organizations"] == []
        assert payload["staff"]["id"] == str(mine.id)

    async def test_a_wrong_password_reveals_nothing(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await staff_in(tenant, "both@example.com")
        await staff_in(other_tenant, "both@example.com")
        known = await sign_in(gql, "both@example.com", "not the password")
        unknown = await sign_in(gql, "nobody@example.com", "not the password")
        assert known == unknown
        assert codes(known) == ["INVALID_CREDENTIALS"]
        assert known["organizations"] == []

    async def test_naming_an_organization_the_password_does_not_open_is_refused(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await staff_in(tenant, "one@example.com")
        payload = await sign_in(
            gql, "one@example.com", STAFF_PASSWORD, other_tenant.organization_id
        )
        assert codes(payload) == ["INVALID_CREDENTIALS"]

    async def test_a_malformed_organization_id_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        variables = {"email": tenant.owner_email, "password": tenant.password, "org": "nope"}
        assert await gql.error_codes(LOGIN, variables) == ["INVALID_ARGUMENT"]


async def wait_until_allowed(throttle: LoginThrottle, account: str) -> None:
    for _ in range(200):
        if await throttle.retry_after(account, None) == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the throttle kept refusing")


class TestThrottling:
    async def test_a_burst_of_wrong_passwords_refuses_even_the_right_one_for_a_while(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for _ in range(5):
            payload = await sign_in(gql, tenant.owner_email, "wrong password")
            assert codes(payload) == ["INVALID_CREDENTIALS"]
        refused = await sign_in(gql, tenant.owner_email, tenant.password)
        assert refused["token"] is None
        assert codes(refused) == ["TOO_MANY_ATTEMPTS"]
        assert "try again in" in refused["errors"][0]["message"]
        events = await AuditEvent.filter(
            organization_id=tenant.organization_id, action=AuditAction.LOGIN_THROTTLED
        )
        assert [(e.subject_id, e.details["scope"], e.details["failures"]) for e in events] == [
            (tenant.owner_id, "account", 5)
        ]
        # Another account from the same address is not held back by this one's failures.
        other = await add_staff(tenant, Role.STAFF)
        assert (await sign_in(gql, other.email, STAFF_PASSWORD))["errors"] == []

    async def test_the_right_password_works_again_once_the_wait_is_over(
        self, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        policy = ThrottlePolicy(
            account=Limits(slow_after=2, lock_after=3), first_delay_seconds=0.2, lock_seconds=0.5
        )
        throttle = LoginThrottle(arq_redis, SECRET, policy)
        # A patient attacker: each wrong password as soon as the throttle accepts one.
        for _ in range(3):
            await wait_until_allowed(throttle, tenant.owner_email)
            with pytest.raises(DomainError) as wrong:
                await login(tenant.owner_email, "wrong", 60, throttle=throttle, address="10.0.0.1")
            assert wrong.value.code.value == "INVALID_CREDENTIALS"
        with pytest.raises(DomainError) as refused:
            await login(tenant.owner_email, tenant.password, 60, throttle=throttle)
        assert refused.value.code.value == "TOO_MANY_ATTEMPTS"
        # The wait is bounded by lock_seconds however long the burst went on.
        assert 0 < await throttle.retry_after(tenant.owner_email, None) <= 0.5
        await wait_until_allowed(throttle, tenant.owner_email)
        result = await login(tenant.owner_email, tenant.password, 60, throttle=throttle)
        assert result.issued is not None
        # Success forgets the account's failures: one more mistake is not punished at once.
        with pytest.raises(DomainError):
            await login(tenant.owner_email, "wrong", 60, throttle=throttle)
        assert await throttle.retry_after(tenant.owner_email, None) == 0
        locked = await AuditEvent.filter(
            organization_id=tenant.organization_id, action=AuditAction.LOGIN_THROTTLED
        )
        assert [e.details["locked"] for e in locked] == [False, True]

    async def test_many_accounts_tried_from_one_address_are_refused(
        self, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        policy = ThrottlePolicy(address=Limits(slow_after=3, lock_after=4))
        throttle = LoginThrottle(arq_redis, SECRET, policy)
        for n in range(4):
            with pytest.raises(DomainError):
                await login(f"guess{n}@example.com", "x", 60, throttle=throttle, address="10.9.9.9")
        with pytest.raises(DomainError) as refused:
            await login(
                tenant.owner_email, tenant.password, 60, throttle=throttle, address="10.9.9.9"
            )
        assert refused.value.code.value == "TOO_MANY_ATTEMPTS"
        # From elsewhere the same account signs in.
        ok = await login(
            tenant.owner_email, tenant.password, 60, throttle=throttle, address="10.1.1.1"
        )
        assert ok.issued is not None

    async def test_every_api_process_sees_the_same_counts(
        self, arq_redis: ArqRedis, redis_url: str, tenant: Tenant
    ) -> None:
        other_process = await create_pool(redis_settings(redis_url))
        try:
            first = LoginThrottle(arq_redis, SECRET)
            second = LoginThrottle(other_process, SECRET)
            for _ in range(5):
                await first.failed(tenant.owner_email, None)
            assert await second.retry_after(tenant.owner_email, None) > 0
        finally:
            await other_process.aclose()

    async def test_redis_holds_no_email_or_address(
        self, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        throttle = LoginThrottle(arq_redis, SECRET)
        await throttle.failed(tenant.owner_email, "203.0.113.7")
        keys = [k.decode() for k in await arq_redis.keys("*")]
        assert keys
        assert not [k for k in keys if "@" in k or "203.0.113.7" in k]
