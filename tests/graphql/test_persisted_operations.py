"""Persisted POS operations (app.graphql.persisted) answer exactly as strawberry does.

Every request of the matrix goes to two apps built from the same settings, one with the
compiled path and one with LOYALTY_COMPILED_OPERATIONS off; status, headers and body bytes
must be the same, and the compiled app's counters say which path answered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
import pytest_asyncio
from arq.connections import ArqRedis
from graphql import parse
from graphql.execution.values import get_variable_values
from starlette.applications import Starlette
from strawberry.extensions import MaxTokensLimiter

from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal
from app.auth.service import create_api_key, revoke_api_key
from app.config import Environment, Settings
from app.core.secrets import API_KEY_PREFIX
from app.customers.repository import visibility
from app.graphql.persisted import POS_DOCUMENTS, PersistedOperations, Stats
from app.graphql.persisted.compiler import ObjectPlan, Unsupported, root_arguments
from app.graphql.persisted.operations import RootField
from app.graphql.schema import build_schema
from app.graphql.wallets.types import WalletType
from app.main import create_app
from app.models.customer import Customer, CustomerStatus
from app.models.privacy import BlockReason
from app.organizations.program import Tier
from app.privacy.service import block_identifiers
from app.wallets import service as wallets
from app.wallets.program_admin import update_program
from tests.conftest import Tenant
from tests.wallets.helpers import new_customer

Path = Literal["compiled", "fallback", "bailout"]

BENCH = (
    "query Wallet($phone: String!) "
    "{ wallet(phone: $phone) { customerId balance lifetimePoints tier { name } } }"
)
ALL_FIELDS = (
    "customerId balance lifetimePoints tier { name minLifetimePoints } "
    "nextTier { name minLifetimePoints } pointsToNextTier tierProgress"
)
FULL_BY_PHONE = f"query($phone: String!) {{ wallet(phone: $phone) {{ {ALL_FIELDS} }} }}"
BY_EMAIL = "query($email: String!) { wallet(email: $email) { customerId balance } }"
BY_REFERENCE = (
    "query($ref: String!) { wallet(externalReference: $ref) { customerId tier { name } } }"
)
BY_ID = f"query($id: ID!) {{ wallet(customerId: $id) {{ {ALL_FIELDS} }} }}"
OPTIONAL_KEYS = (
    "query($phone: String, $email: String) { wallet(phone: $phone, email: $email) { balance } }"
)
DEFAULTED = 'query($phone: String = "202 555 0143") { wallet(phone: $phone) { balance } }'
LITERAL = '{ wallet(phone: "+1 202-555-0143") { customerId balance lifetimePoints } }'
REFORMATTED = """
# a till's own spelling of the lookup
query   PosLookup ( $p : String! ) {
  __typename
  w: wallet ( phone : $p ) {
    __typename , pts: balance
    tierProgress
    customerId
    next: nextTier { __typename minLifetimePoints name }
    tier { n: name }
  }
  t: __typename
}
"""
MERGED = (
    "query($p: String!) { wallet(phone: $p) { balance tier { name } } "
    "wallet(phone: $p) { lifetimePoints tier { minLifetimePoints } balance } }"
)
EXPIRING = "query($p: String!) { wallet(phone: $p) { balance pointsExpiringSoon(days: 10) } }"
FRAGMENT = "query($p: String!) { wallet(phone: $p) { ...W } } fragment W on Wallet { balance }"
INLINE_FRAGMENT = "query($p: String!) { wallet(phone: $p) { ... on Wallet { balance } } }"
DIRECTIVE = (
    "query($p: String!, $t: Boolean!) { wallet(phone: $p) { balance tier @include(if: $t) "
    "{ name } } }"
)
TWO_LOOKUPS = (
    "query($p: String!, $e: String!) { a: wallet(phone: $p) { balance } "
    "b: wallet(email: $e) { balance } }"
)
OTHER_ROOT = "query($p: String!) { customer(phone: $p) { id } }"
WITH_INTROSPECTION = (
    "query($p: String!) { __schema { queryType { name } } wallet(phone: $p) { balance } }"
)
UNKNOWN_FIELD = "query($p: String!) { wallet(phone: $p) { balance color } }"
SYNTAX_ERROR = "query($p: String!) { wallet(phone: $p) { balance }"
MUTATION = (
    'mutation($id: ID!) { walletEarn(customerId: $id, points: 5, reason: "x", '
    'idempotencyKey: "k") { errors { code } } }'
)
UNUSED_VARIABLE = "query($p: String!, $q: String) { wallet(phone: $p) { balance } }"


def too_many_aliases(limit: int) -> str:
    aliases = " ".join(f"b{i}: balance" for i in range(limit + 1))
    return f"query($p: String!) {{ wallet(phone: $p) {{ {aliases} }} }}"


def too_many_tokens(limit: int) -> str:
    return f"query($p: String!) {{ wallet(phone: $p) {{ {'__typename ' * limit} }} }}"


@dataclass(frozen=True)
class Shop:
    tenant: Tenant
    key: str
    unscoped_key: str
    revoked_key: str
    ann: str
    archived: str
    erased: str
    merged: str
    gold: str
    blocked: str


@pytest_asyncio.fixture
async def shop(tenant: Tenant) -> Shop:
    principal = Principal.system(tenant.organization_id)
    await update_program(
        principal, {"tiers": [Tier("Member", 0), Tier("Silver", 1000), Tier("Gold", 5000)]}
    )
    ann = await new_customer(
        principal, phone="(202) 555-0143", email="ann@example.com", external_reference="ext-ann"
    )
    await wallets.earn(principal, ann.id, 800, "purchase", "e1")
    archived = await new_customer(principal, phone="2025550144")
    await Customer.filter(id=archived.id).update(status=CustomerStatus.ARCHIVED)
    erased = await new_customer(principal, phone="2025550145")
    await Customer.filter(id=erased.id).update(status=CustomerStatus.ERASED, phone=None)
    merged = await new_customer(principal, email="dup@example.com")
    await Customer.filter(id=merged.id).update(
        status=CustomerStatus.MERGED, merged_into_id=ann.id, email=None
    )
    gold = await new_customer(principal, email="gold@example.com")
    await wallets.earn(principal, gold.id, 6000, "purchase", "e2")
    # Blocked by its email; looked up by its phone, its id, or a blocked phone nobody holds.
    blocked = await new_customer(principal, phone="2025550146", email="gone@example.com")
    await block_identifiers(
        principal, emails=["gone@example.com"], phones=["2025550147"], reason=BlockReason.OPTED_OUT
    )
    revoked = await create_api_key(principal, "old", [ApiKeyScope.WALLET_READ])
    await revoke_api_key(principal, revoked.api_key.id)
    return Shop(
        tenant=tenant,
        key=(await create_api_key(principal, "POS", [ApiKeyScope.WALLET_READ])).key,
        unscoped_key=(await create_api_key(principal, "CRM", [ApiKeyScope.CUSTOMERS_READ])).key,
        revoked_key=revoked.key,
        ann=str(ann.id),
        archived=str(archived.id),
        erased=str(erased.id),
        merged=str(merged.id),
        gold=str(gold.id),
        blocked=str(blocked.id),
    )


def graphql_view(app: Starlette) -> Any:
    return app.state.graphql


@dataclass
class Pair:
    fast: httpx.AsyncClient
    general: httpx.AsyncClient
    persisted: PersistedOperations

    @property
    def stats(self) -> Stats:
        return self.persisted.stats

    async def compare(
        self,
        payload: Any,
        token: str | None = None,
        *,
        path: Path,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send the same request to both apps; they must answer the same bytes."""
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        # The same request id, which both echo: the other headers must match too.
        sent = {"content-type": "application/json", "x-request-id": "compare", **(headers or {})}
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        before = dataclasses.replace(self.stats)
        fast = await self.fast.post("/graphql", content=content, headers=sent)
        general = await self.general.post("/graphql", content=content, headers=sent)
        assert fast.status_code == general.status_code, (fast.text, general.text)
        assert dict(fast.headers) == dict(general.headers)
        assert fast.content == general.content
        counted = {
            "compiled": self.stats.compiled - before.compiled,
            "fallback": self.stats.fallbacks - before.fallbacks,
            "bailout": self.stats.bailouts - before.bailouts,
        }
        assert counted == {k: int(k == path) for k in counted}, counted
        return fast


async def pair_for(settings: Settings, redis: ArqRedis) -> AsyncIterator[Pair]:
    fast_app = create_app(settings, manage_resources=False, redis=redis)
    general_app = create_app(
        settings.with_overrides(compiled_operations=False), manage_resources=False, redis=redis
    )
    assert graphql_view(general_app).persisted is None
    persisted = graphql_view(fast_app).persisted
    assert persisted is not None
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app), base_url="http://t") as f,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=general_app), base_url="http://t") as g,
    ):
        yield Pair(f, g, persisted)


@pytest_asyncio.fixture
async def pair(settings: Settings, arq_redis: ArqRedis) -> AsyncIterator[Pair]:
    async for p in pair_for(settings, arq_redis):
        yield p


@dataclass(frozen=True)
class Case:
    name: str
    query: str | Callable[[Shop, Settings], str]
    variables: dict[str, Any] | Callable[[Shop], dict[str, Any]] | None
    token: Callable[[Shop], str | None]
    path: Path
    # The error codes the answer must carry (the matrix checks itself); None: no errors.
    codes: list[str] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    # True: the answer holds a wallet; False: `wallet` is null; None: not checked.
    found: bool | None = None


def key(s: Shop) -> str | None:
    return s.key


def phone(value: str) -> dict[str, Any]:
    return {"phone": value}


CASES = [
    # Found, in every key and format; archived and merged customers.
    Case("bench query", BENCH, phone("+1 202-555-0143"), key, "compiled", found=True),
    Case(
        "phone in another format",
        FULL_BY_PHONE,
        phone("(202) 555-0143"),
        key,
        "compiled",
        found=True,
    ),
    Case("by email", BY_EMAIL, {"email": " ANN@Example.com "}, key, "compiled", found=True),
    Case("by external reference", BY_REFERENCE, {"ref": "ext-ann"}, key, "compiled", found=True),
    Case("by id", BY_ID, lambda s: {"id": s.ann}, key, "compiled", found=True),
    Case(
        "merged id lands on survivor",
        BY_ID,
        lambda s: {"id": s.merged},
        key,
        "compiled",
        found=True,
    ),
    Case("archived customer", BENCH, phone("202-555-0144"), key, "compiled", found=True),
    Case("top tier, no next tier", BY_ID, lambda s: {"id": s.gold}, key, "compiled", found=True),
    Case(
        "staff token",
        FULL_BY_PHONE,
        phone("2025550143"),
        lambda s: s.tenant.token,
        "compiled",
        found=True,
    ),
    # Not found.
    Case("unknown phone", BENCH, phone("2025550199"), key, "compiled", found=False),
    Case("unknown id", BY_ID, {"id": str(uuid.UUID(int=7))}, key, "compiled", found=False),
    Case("blank phone", BENCH, phone("   "), key, "compiled", found=False),
    Case("blank id", BY_ID, {"id": ""}, key, "compiled", ["INVALID_ARGUMENT"]),
    # Refusals of the service.
    Case("erased id", BY_ID, lambda s: {"id": s.erased}, key, "compiled", ["CUSTOMER_UNAVAILABLE"]),
    Case(
        "blocked id", BY_ID, lambda s: {"id": s.blocked}, key, "compiled", ["CUSTOMER_UNAVAILABLE"]
    ),
    Case(
        "customer with a blocked email, by phone",
        BENCH,
        phone("202-555-0146"),
        key,
        "compiled",
        ["CUSTOMER_UNAVAILABLE"],
    ),
    Case(
        "blocked email",
        BY_EMAIL,
        {"email": "Gone@example.com"},
        key,
        "compiled",
        ["CUSTOMER_UNAVAILABLE"],
    ),
    Case(
        "blocked phone nobody holds",
        BENCH,
        phone("+1 202 555 0147"),
        key,
        "compiled",
        ["CUSTOMER_UNAVAILABLE"],
    ),
    Case("malformed phone", BENCH, phone("12"), key, "compiled", ["INVALID_ARGUMENT"]),
    Case(
        "malformed email",
        BY_EMAIL,
        {"email": "not-an-email"},
        key,
        "compiled",
        ["INVALID_ARGUMENT"],
    ),
    Case("malformed id", BY_ID, {"id": "xyz"}, key, "compiled", ["INVALID_ARGUMENT"]),
    Case("id given as a number", BY_ID, {"id": 42}, key, "compiled", ["INVALID_ARGUMENT"]),
    Case(
        "two keys",
        OPTIONAL_KEYS,
        {"phone": "2025550143", "email": "a@b.co"},
        key,
        "compiled",
        ["INVALID_ARGUMENT"],
    ),
    Case("no key", OPTIONAL_KEYS, {}, key, "compiled", ["INVALID_ARGUMENT"]),
    # Credentials.
    Case(
        "no credential", BENCH, phone("2025550143"), lambda s: None, "compiled", ["UNAUTHENTICATED"]
    ),
    Case(
        "garbage credential",
        BENCH,
        phone("2025550143"),
        lambda s: "garbage",
        "compiled",
        ["INVALID_CREDENTIALS"],
    ),
    Case(
        "unknown api key",
        BENCH,
        phone("2025550143"),
        lambda s: API_KEY_PREFIX + "x" * 40,
        "compiled",
        ["INVALID_CREDENTIALS"],
    ),
    Case(
        "revoked key",
        BENCH,
        phone("2025550143"),
        lambda s: s.revoked_key,
        "compiled",
        ["INVALID_CREDENTIALS"],
    ),
    Case(
        "key without wallet:read",
        BENCH,
        phone("2025550143"),
        lambda s: s.unscoped_key,
        "compiled",
        ["FORBIDDEN"],
    ),
    # Variables.
    Case("variable missing", BENCH, {}, key, "compiled", [""]),
    Case("variables null", BENCH, None, key, "compiled", [""]),
    Case("variable null", BENCH, phone(None), key, "compiled", [""]),  # type: ignore[arg-type]
    Case("variable a number", BENCH, {"phone": 2025550143}, key, "compiled", [""]),
    Case("variable a list", BENCH, {"phone": ["2025550143"]}, key, "compiled", [""]),
    Case("variable an object", BY_ID, {"id": {"id": 1}}, key, "compiled", [""]),
    Case("extra variables", BENCH, {"phone": "2025550143", "x": 1}, key, "compiled", found=True),
    Case("default value", DEFAULTED, {}, key, "compiled", found=True),
    Case("unused nullable variable", UNUSED_VARIABLE, phone("2025550143"), key, "fallback", [""]),
    # Document shapes.
    Case("inline literal", LITERAL, None, key, "compiled", found=True),
    Case(
        "inline id literal",
        lambda s, _: f'{{ wallet(customerId: "{s.ann}") {{ balance }} }}',
        None,
        key,
        "compiled",
        found=True,
    ),
    Case(
        "aliases, typename, order, formatting",
        REFORMATTED,
        {"p": "2025550143"},
        key,
        "compiled",
        found=True,
    ),
    Case("repeated field merged", MERGED, {"p": "2025550143"}, key, "compiled", found=True),
    Case("repeated field, error", MERGED, {"p": "12"}, key, "compiled", ["INVALID_ARGUMENT"]),
    Case(
        "operation name given",
        BENCH,
        phone("2025550143"),
        key,
        "compiled",
        extra={"operationName": "Wallet"},
        found=True,
    ),
    Case(
        "operation name null",
        BENCH,
        phone("2025550143"),
        key,
        "compiled",
        extra={"operationName": None},
        found=True,
    ),
    # Left to strawberry, same answer.
    Case(
        "operation name not in document",
        BENCH,
        phone("2025550143"),
        key,
        "fallback",
        extra={"operationName": "Other"},
    ),
    Case("pointsExpiringSoon", EXPIRING, {"p": "2025550143"}, key, "fallback"),
    Case("fragment", FRAGMENT, {"p": "2025550143"}, key, "fallback"),
    Case("inline fragment", INLINE_FRAGMENT, {"p": "2025550143"}, key, "fallback"),
    Case("directive", DIRECTIVE, {"p": "2025550143", "t": False}, key, "fallback"),
    Case("two lookups", TWO_LOOKUPS, {"p": "2025550143", "e": "gold@example.com"}, key, "fallback"),
    Case("another root field", OTHER_ROOT, {"p": "2025550143"}, key, "fallback", ["FORBIDDEN"]),
    Case("introspection beside", WITH_INTROSPECTION, {"p": "2025550143"}, key, "fallback"),
    Case("unknown field", UNKNOWN_FIELD, {"p": "2025550143"}, key, "fallback", [""]),
    Case("syntax error", SYNTAX_ERROR, {"p": "2025550143"}, key, "fallback", [""]),
    Case("mutation", MUTATION, lambda s: {"id": s.ann}, key, "fallback", ["FORBIDDEN"]),
    Case(
        "too many aliases",
        lambda s, c: too_many_aliases(c.max_aliases),
        {"p": "2025550143"},
        key,
        "fallback",
        [""],
    ),
    Case(
        "too many tokens",
        lambda s, c: too_many_tokens(c.max_tokens),
        {"p": "2025550143"},
        key,
        "fallback",
        [""],
    ),
    Case("variables not an object", BENCH, lambda s: ["2025550143"], key, "fallback"),  # type: ignore[arg-type,return-value]
]


class TestSameAnswers:
    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
    async def test_compiled_and_general_paths_answer_the_same_bytes(
        self, pair: Pair, shop: Shop, settings: Settings, case: Case
    ) -> None:
        query = case.query(shop, settings) if callable(case.query) else case.query
        variables = case.variables(shop) if callable(case.variables) else case.variables
        payload = {"query": query, "variables": variables, **case.extra}
        response = await pair.compare(payload, case.token(shop), path=case.path)
        if response.status_code != 200:
            assert case.path == "fallback"
            return
        body = response.json()
        codes = [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]
        assert codes == (case.codes or []), body
        if case.found is not None:
            wallet = body["data"].get("wallet", body["data"].get("w"))
            assert (wallet is not None) is case.found, body

    async def test_found_wallet_and_its_shape(self, pair: Pair, shop: Shop) -> None:
        response = await pair.compare(
            {"query": REFORMATTED, "variables": {"p": "2025550143"}}, shop.key, path="compiled"
        )
        assert response.json() == {
            "data": {
                "__typename": "Query",
                "w": {
                    "__typename": "Wallet",
                    "pts": 800,
                    "tierProgress": "200 points from Silver",
                    "customerId": shop.ann,
                    "next": {"__typename": "Tier", "minLifetimePoints": 1000, "name": "Silver"},
                    "tier": {"n": "Member"},
                },
                "t": "Query",
            }
        }

    async def test_errors_keep_locations_and_path(self, pair: Pair, shop: Shop) -> None:
        response = await pair.compare(
            {"query": REFORMATTED, "variables": {"p": "12"}}, shop.key, path="compiled"
        )
        body = response.json()
        assert body["data"] == {"__typename": "Query", "w": None, "t": "Query"}
        [error] = body["errors"]
        assert error["path"] == ["w"]
        assert error["locations"] == [{"line": 5, "column": 3}]
        assert error["extensions"] == {"code": "INVALID_ARGUMENT"}

    async def test_a_repeated_field_is_located_at_each_occurrence(
        self, pair: Pair, shop: Shop
    ) -> None:
        response = await pair.compare(
            {"query": MERGED, "variables": {"p": "12"}}, shop.key, path="compiled"
        )
        assert len(response.json()["errors"][0]["locations"]) == 2

    async def test_unexpected_errors_are_masked_and_logged_without_personal_data(
        self,
        pair: Pair,
        shop: Shop,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        async def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("duplicate key value ann@example.com")

        monkeypatch.setattr(visibility, "wallet_row_by_identifier", broken)
        with caplog.at_level(logging.DEBUG):
            response = await pair.compare(
                {"query": BY_EMAIL, "variables": {"email": "ann@example.com"}},
                shop.key,
                path="compiled",
            )
        [error] = response.json()["errors"]
        assert error["message"] == "Unexpected error."
        assert "extensions" not in error
        assert "ann@example.com" not in caplog.text
        assert caplog.text.count("unexpected error in resolver") == 2

    async def test_values_graphql_core_refuses_are_answered_by_strawberry(
        self, pair: Pair, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        of = WalletType.of.__func__  # type: ignore[attr-defined]

        def without_balance(cls: type[WalletType], view: wallets.WalletView) -> WalletType:
            original: WalletType = of(cls, view)
            return dataclasses.replace(original, balance=None)  # type: ignore[arg-type]

        monkeypatch.setattr(WalletType, "of", classmethod(without_balance))
        response = await pair.compare(
            {"query": BENCH, "variables": phone("2025550143")}, shop.key, path="bailout"
        )
        assert response.json()["data"] == {"wallet": None}

    async def test_credentials_come_from_the_shared_cache(
        self, pair: Pair, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await pair.compare({"query": BENCH, "variables": phone("1")}, shop.key, path="compiled")
        # Cached now: a database that could not verify keys changes nothing for a while.
        from app.auth import credentials

        async def unreachable(*args: Any) -> None:
            raise AssertionError("asked the database")

        monkeypatch.setattr(credentials, "_load", unreachable)
        await pair.compare(
            {"query": BENCH, "variables": phone("2025550143")}, shop.key, path="compiled"
        )


class TestHttp:
    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"{not json", "application/json"),
            (b'[{"query": "{ __typename }"}]', "application/json"),
            (b'{"query": 5}', "application/json"),
            (json.dumps({"query": BENCH}).encode(), "text/plain"),
            (json.dumps({"query": BENCH, "extensions": 3}).encode(), "application/json"),
        ],
    )
    async def test_malformed_requests_get_strawberrys_answer(
        self, pair: Pair, shop: Shop, content: bytes, content_type: str
    ) -> None:
        fast = await pair.fast.post(
            "/graphql", content=content, headers={"content-type": content_type}
        )
        general = await pair.general.post(
            "/graphql", content=content, headers={"content-type": content_type}
        )
        assert (fast.status_code, fast.content) == (general.status_code, general.content)
        assert pair.stats.compiled == 0

    async def test_charset_in_content_type(self, pair: Pair, shop: Shop) -> None:
        await pair.compare(
            {"query": BENCH, "variables": phone("2025550143")},
            shop.key,
            path="compiled",
            headers={"content-type": "application/json; charset=utf-8"},
        )

    async def test_graphiql_still_served_in_development(self, pair: Pair) -> None:
        response = await pair.fast.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == 200
        assert "graphiql" in response.text.lower()

    async def test_cors_headers_on_compiled_answers(
        self, settings: Settings, arq_redis: ArqRedis, shop: Shop
    ) -> None:
        cors = settings.with_overrides(cors_origins=("https://pos.example",))
        async for p in pair_for(cors, arq_redis):
            response = await p.compare(
                {"query": BENCH, "variables": phone("2025550143")},
                shop.key,
                path="compiled",
                headers={"origin": "https://pos.example"},
            )
            assert response.headers["access-control-allow-origin"] == "https://pos.example"

    async def test_production_refuses_introspection_the_same_way(
        self, settings: Settings, arq_redis: ArqRedis, shop: Shop
    ) -> None:
        production = settings.with_overrides(env=Environment.PRODUCTION)
        async for p in pair_for(production, arq_redis):
            response = await p.compare(
                {"query": WITH_INTROSPECTION, "variables": {"p": "2025550143"}},
                shop.key,
                path="fallback",
            )
            assert "introspection" in response.json()["errors"][0]["message"].lower()
            await p.compare(
                {"query": BENCH, "variables": phone("2025550143")}, shop.key, path="compiled"
            )


class TestPersistedQueries:
    @staticmethod
    def persisted(text: str) -> dict[str, Any]:
        digest = hashlib.sha256(text.encode()).hexdigest()
        return {"persistedQuery": {"version": 1, "sha256Hash": digest}}

    async def test_pos_documents_are_known_by_hash_from_startup(
        self, pair: Pair, shop: Shop
    ) -> None:
        text = POS_DOCUMENTS["WalletByPhone"]
        fast = await pair.fast.post(
            "/graphql",
            json={"variables": phone("2025550143"), "extensions": self.persisted(text)},
            headers={"authorization": f"Bearer {shop.key}"},
        )
        general = await pair.general.post(
            "/graphql",
            json={"query": text, "variables": phone("2025550143")},
            headers={"authorization": f"Bearer {shop.key}"},
        )
        assert fast.content == general.content
        assert fast.json()["data"]["wallet"]["customerId"] == shop.ann
        assert pair.stats.persisted_hits == 1

    async def test_unknown_hash_asks_for_the_text_then_remembers_it(
        self, pair: Pair, shop: Shop
    ) -> None:
        extensions = self.persisted(BENCH)
        headers = {"authorization": f"Bearer {shop.key}"}
        variables = phone("2025550143")
        miss = await pair.fast.post(
            "/graphql", json={"variables": variables, "extensions": extensions}, headers=headers
        )
        assert miss.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                }
            ]
        }
        # The retry with the text is an ordinary request, which the hash now names.
        await pair.compare(
            {"query": BENCH, "variables": variables, "extensions": extensions},
            shop.key,
            path="compiled",
        )
        hit = await pair.fast.post(
            "/graphql", json={"variables": variables, "extensions": extensions}, headers=headers
        )
        assert hit.json()["data"]["wallet"]["customerId"] == shop.ann

    async def test_a_text_not_compiled_is_remembered_for_strawberry(
        self, pair: Pair, shop: Shop
    ) -> None:
        extensions = self.persisted(EXPIRING)
        variables = {"p": "2025550143"}
        await pair.compare(
            {"query": EXPIRING, "variables": variables, "extensions": extensions},
            shop.key,
            path="fallback",
        )
        hit = await pair.fast.post(
            "/graphql",
            json={"variables": variables, "extensions": extensions},
            headers={"authorization": f"Bearer {shop.key}"},
        )
        assert hit.json()["data"]["wallet"] == {"balance": 800, "pointsExpiringSoon": 0}

    async def test_a_hash_that_does_not_match_its_text_is_not_stored(
        self, pair: Pair, shop: Shop
    ) -> None:
        wrong = self.persisted(FULL_BY_PHONE)
        # Strawberry runs the text it was given; the hash names nothing afterwards.
        await pair.compare(
            {"query": BENCH, "variables": phone("2025550143"), "extensions": wrong},
            shop.key,
            path="fallback",
        )
        assert pair.persisted.documents.get(wrong["persistedQuery"]["sha256Hash"]) is None


class TestCompiler:
    def test_every_pos_document_compiles_at_startup(self, settings: Settings) -> None:
        persisted = PersistedOperations(build_schema(settings))
        assert set(persisted.pinned) == set(POS_DOCUMENTS.values())

    async def test_a_text_is_compiled_once(self, pair: Pair, shop: Shop) -> None:
        before = pair.persisted._verdict.cache_info()
        for _ in range(3):
            await pair.compare(
                {"query": REFORMATTED, "variables": {"p": "2025550143"}}, shop.key, path="compiled"
            )
        after = pair.persisted._verdict.cache_info()
        assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)

    def test_an_extension_it_does_not_know_turns_it_off(
        self, settings: Settings, caplog: pytest.LogCaptureFixture
    ) -> None:
        schema = build_schema(settings)
        schema.extensions = (*schema.extensions, lambda: MaxTokensLimiter(max_token_count=10))
        with caplog.at_level(logging.WARNING):
            assert PersistedOperations.for_schema(schema) is None
        assert "MaxTokensLimiter" in caplog.text

    def test_a_root_function_that_drifts_from_its_resolver_is_refused(
        self, settings: Settings
    ) -> None:
        async def narrower(context: Any, *, phone: str | None = None) -> None:
            return None

        with pytest.raises(Unsupported):
            root_arguments(build_schema(settings), RootField("Query", "wallet", narrower))

    @pytest.mark.parametrize(
        ("query", "variables"),
        [
            (BENCH, phone("2025550143")),
            (BY_ID, {"id": "x"}),
            (OPTIONAL_KEYS, {"phone": "1", "email": "a@b.co"}),
            (LITERAL, {}),
            (REFORMATTED, {"p": " 1 "}),
            (BY_REFERENCE, {"ref": ""}),
        ],
    )
    def test_string_variables_skip_coercion_with_the_same_arguments(
        self, settings: Settings, query: str, variables: dict[str, Any]
    ) -> None:
        persisted = PersistedOperations(build_schema(settings))
        operation = persisted.operation_for(query)
        assert operation is not None
        shortcut = operation._string_arguments(variables)
        coerced = get_variable_values(operation.schema, operation.variable_definitions, variables)
        assert not isinstance(coerced, list)
        assert shortcut is not None
        assert shortcut == operation._arguments(coerced)

    def test_other_variables_take_graphql_cores_coercion(self, settings: Settings) -> None:
        persisted = PersistedOperations(build_schema(settings))
        cases: list[tuple[str, dict[str, Any]]] = [
            (BENCH, {}),
            (BENCH, {"phone": None}),
            (BY_ID, {"id": 5}),
            (DEFAULTED, {"phone": "1"}),
            (OPTIONAL_KEYS, {"phone": "1"}),
        ]
        for query, variables in cases:
            operation = persisted.operation_for(query)
            assert operation is not None
            assert operation._string_arguments(variables) is None

    def test_plans_refuse_objects_of_another_type(self, settings: Settings) -> None:
        persisted = PersistedOperations(build_schema(settings))
        plan: ObjectPlan = persisted.pinned[POS_DOCUMENTS["WalletByPhone"]].plan
        assert plan.origin is WalletType
        assert [f.key for f in plan.fields][:3] == ["customerId", "balance", "lifetimePoints"]

    def test_only_json_posts_are_looked_at(self) -> None:
        def scope(method: str, content_type: bytes) -> dict[str, Any]:
            return {"type": "http", "method": method, "headers": [(b"content-type", content_type)]}

        wants = PersistedOperations.wants
        assert wants(scope("POST", b"application/json"))
        assert wants(scope("POST", b"Application/JSON; charset=utf-8"))
        assert not wants(scope("POST", b"multipart/form-data; boundary=x"))
        assert not wants(scope("GET", b"application/json"))

    def test_documents_parse_the_same_everywhere(self) -> None:
        # The pinned documents are real GraphQL, not just strings the matcher knows.
        for text in POS_DOCUMENTS.values():
            assert parse(text).definitions
