"""Organization queries: the tenant row, its stores and its signup forms."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.models.organization import Organization, SignupChannel, SignupForm, Store
from app.organizations.slugs import slug_of, with_suffix


async def get(organization_id: uuid.UUID) -> Organization:
    return await Organization.get(id=organization_id)


async def get_for_update(organization_id: uuid.UUID, conn: BaseDBAsyncClient) -> Organization:
    return await Organization.filter(id=organization_id).select_for_update().using_db(conn).get()


async def exists(organization_id: uuid.UUID) -> bool:
    return await Organization.exists(id=organization_id)


async def all_ids() -> list[uuid.UUID]:
    ids: list[uuid.UUID] = await Organization.all().order_by("id").values_list("id", flat=True)  # type: ignore[assignment]
    return ids


async def create(
    name: str, default_region: str, timezone: str, conn: BaseDBAsyncClient
) -> Organization:
    return await Organization.create(
        name=name,
        default_region=default_region,
        timezone=timezone,
        slug=await free_slug(slug_of(name), conn),
        using_db=conn,
    )


async def free_slug(wanted: str, conn: BaseDBAsyncClient) -> str:
    slug = wanted
    while await Organization.filter(slug=slug).using_db(conn).exists():
        slug = with_suffix(wanted)
    return slug


async def by_slug(slug: str) -> Organization | None:
    return await Organization.get_or_none(slug=slug)


async def save(
    org: Organization, conn: BaseDBAsyncClient, fields: Sequence[str] | None = None
) -> None:
    await org.save(using_db=conn, update_fields=list(fields) if fields is not None else None)


async def store_exists(
    organization_id: uuid.UUID, *, store_id: uuid.UUID | None = None, code: str | None = None
) -> bool:
    conditions: dict[str, Any] = {"organization_id": organization_id}
    if store_id is not None:
        conditions["id"] = store_id
    if code is not None:
        conditions["code"] = code
    return await Store.exists(**conditions)


async def create_store(organization_id: uuid.UUID, name: str, code: str, online: bool) -> Store:
    return await Store.create(organization_id=organization_id, name=name, code=code, online=online)


async def stores(organization_id: uuid.UUID) -> list[Store]:
    return await Store.filter(organization_id=organization_id).order_by("name", "id")


async def store(organization_id: uuid.UUID, store_id: uuid.UUID) -> Store | None:
    return await Store.get_or_none(id=store_id, organization_id=organization_id)


async def stores_by_ids(organization_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Store]:
    return await Store.filter(id__in=list(ids), organization_id=organization_id)


async def signup_form_exists(
    organization_id: uuid.UUID, *, form_id: uuid.UUID | None = None, name: str | None = None
) -> bool:
    conditions: dict[str, Any] = {"organization_id": organization_id}
    if form_id is not None:
        conditions["id"] = form_id
    if name is not None:
        conditions["name"] = name
    return await SignupForm.exists(**conditions)


async def create_signup_form(
    organization_id: uuid.UUID, name: str, channel: SignupChannel
) -> SignupForm:
    return await SignupForm.create(organization_id=organization_id, name=name, channel=channel)


async def signup_forms(organization_id: uuid.UUID) -> list[SignupForm]:
    return await SignupForm.filter(organization_id=organization_id).order_by("name")


async def signup_forms_by_ids(
    organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[SignupForm]:
    return await SignupForm.filter(id__in=list(ids), organization_id=organization_id)
