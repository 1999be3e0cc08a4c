"""Data migration (written by hand: the generator writes schema changes only): every existing
organization gets the slug of its privacy page, from its name, made unique."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from app.organizations.slugs import slug_of, with_suffix


async def fill_slugs(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    _, rows = await client.execute_query(
        'SELECT "id", "name" FROM "organization" WHERE "slug" IS NULL ORDER BY "created_at"'
    )
    _, taken_rows = await client.execute_query(
        'SELECT "slug" FROM "organization" WHERE "slug" IS NOT NULL'
    )
    taken = {row["slug"] for row in taken_rows}
    placeholder = "$1" if client.capabilities.dialect == "postgres" else "?"
    for row in rows:
        wanted = slug_of(row["name"])
        slug = wanted
        while slug in taken:
            slug = with_suffix(wanted)
        taken.add(slug)
        await client.execute_query(
            f'UPDATE "organization" SET "slug" = {placeholder} WHERE "id" = '
            f"{placeholder.replace('1', '2')}",
            [slug, row["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0005_session4")]

    initial = False

    operations = [ops.RunPython(fill_slugs, ops.RunPython.noop)]
