"""Organization slugs: the public name of the privacy page, made from the name, unique."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from tortoise import connections

from app.models.organization import Organization
from app.organizations.slugs import slug_of
from tests.conftest import make_tenant


def test_slugs_are_lowercase_ascii_words() -> None:
    assert slug_of("Café Müller & Co.") == "cafe-muller-co"
    assert slug_of("  ***  ") == "shop"
    assert len(slug_of("x" * 300)) == 48


async def test_a_taken_slug_gets_a_suffix() -> None:
    first = await make_tenant("Corner Shop")
    second = await make_tenant("Corner Shop")
    slugs = [(await Organization.get(id=t.organization_id)).slug for t in (first, second)]
    assert slugs[0] == "corner-shop"
    assert slugs[1] is not None
    assert slugs[1].startswith("corner-shop-")
    assert slugs[1] != slugs[0]


async def test_the_data_migration_fills_missing_slugs() -> None:
    taken = await make_tenant("Bakery")
    old = [await Organization.create(name=name) for name in ("Bakery", "Old Mill", "Old Mill")]
    assert all(o.slug is None for o in old)
    migration = importlib.import_module("app.migrations.0006_organization_slugs")
    await migration.fill_slugs(None, SimpleNamespace(client=connections.get("default")))
    slugs = [(await Organization.get(id=o.id)).slug for o in old]
    assert (await Organization.get(id=taken.organization_id)).slug == "bakery"
    assert slugs[0] is not None
    assert slugs[0].startswith("bakery-")
    assert slugs[1] == "old-mill"
    assert slugs[2] is not None
    assert slugs[2].startswith("old-mill-")
