"""Query documents: a size limit in bytes, a parse/validation cache bounded by bytes, and no
schema hints in errors when introspection is off."""

from __future__ import annotations

from arq.connections import ArqRedis
from graphql import parse

from app.config import Environment, Settings
from app.graphql.document_cache import CachedDocument, DocumentCache
from tests.conftest import GraphQLClient, Tenant
from tests.factories import client_for


class TestDocumentSize:
    async def test_a_document_over_the_limit_is_refused_with_a_typed_error(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        limited = settings.with_overrides(max_document_bytes=1024)
        padded = "{ viewer { kind } }" + " " * 2000
        async with client_for(limited, arq_redis) as gql:
            body = await gql.raw(padded, token=tenant.token)
            assert body["data"] is None
            assert body["errors"][0]["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}
            assert body["errors"][0]["message"] == (
                "The query document is larger than the limit of 1 KiB."
            )
            # The compiled POS path refuses it too, instead of parsing and caching it.
            pos = "query($p: String!) { wallet(phone: $p) { balance } }" + " " * 2000
            body = await gql.raw(pos, {"p": "+14155550132"}, tenant.token)
            assert body["errors"][0]["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}
            data = await gql.data("{ viewer { kind } }", token=tenant.token)
            assert data["viewer"]["kind"] == "STAFF"

    async def test_the_default_is_64_kib(self, settings: Settings) -> None:
        assert settings.max_document_bytes == 64 * 1024


class TestDocumentCache:
    def test_is_bounded_by_bytes_not_only_entries(self) -> None:
        cache = DocumentCache(max_bytes=100_000, max_entries=512)
        for i in range(80):
            text = f"{{ viewer {{ kind }} }} # {i}" + " " * 20_000
            cache.put(text, CachedDocument(parse(text)))
            assert cache.bytes <= 100_000
        assert len(cache) < 80
        # The most recent documents stay.
        assert cache.get(text) is not None

    def test_a_document_larger_than_the_budget_is_not_kept(self) -> None:
        cache = DocumentCache(max_bytes=1000)
        text = "{ viewer { kind } }" + " " * 2000
        cache.put(text, CachedDocument(parse(text)))
        assert len(cache) == 0
        assert cache.bytes == 0

    def test_least_recently_used_goes_first(self) -> None:
        cache = DocumentCache(max_bytes=10_000_000, max_entries=2)
        for text in ("{ a }", "{ b }"):
            cache.put(text, CachedDocument(parse(text)))
        assert cache.get("{ a }") is not None
        cache.put("{ c }", CachedDocument(parse("{ c }")))
        assert cache.get("{ b }") is None
        assert cache.get("{ a }") is not None


class TestSuggestions:
    TYPO = "{ customerz(first: 1) { nodes { id } } }"
    ENUM_TYPO = "query($s: [CustomerStatus!]) { customers(where: {status: $s}) { nodes { id } } }"

    async def test_production_suggests_no_names(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        production = settings.with_overrides(env=Environment.PRODUCTION)
        async with client_for(production, arq_redis) as gql:
            body = await gql.raw(self.TYPO, token=tenant.token)
            assert body["errors"][0]["message"] == (
                "Cannot query field 'customerz' on type 'Query'."
            )
            body = await gql.raw(self.ENUM_TYPO, {"s": ["ACTIV"]}, tenant.token)
            assert "Did you mean" not in body["errors"][0]["message"]
            assert "ACTIVE" not in body["errors"][0]["message"]

    async def test_development_keeps_them(self, gql: GraphQLClient, tenant: Tenant) -> None:
        body = await gql.raw(self.TYPO, token=tenant.token)
        assert "Did you mean" in body["errors"][0]["message"]
