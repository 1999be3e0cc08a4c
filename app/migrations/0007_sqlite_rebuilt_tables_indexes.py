"""Data-definition fix written by hand (the generator cannot see it): on SQLite, Tortoise's
AlterField rebuilds the table and leaves out its plain indexes. 0004 did so to `staff` and 0005
to `audit_event`; this puts them back. PostgreSQL alters columns in place and kept them, so
nothing runs there. `tests/test_sqlite_migrations.py` compares the migrated schema with the
models' after every migration, so a new loss fails the suite."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

LOST_INDEXES = (
    ("idx_audit_event_org_id", "audit_event", ("organization_id", "id")),
    ("idx_audit_event_org_subject", "audit_event", ("organization_id", "subject_id")),
    ("idx_staff_email", "staff", ("email",)),
)


async def restore_indexes(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for name, table, columns in LOST_INDEXES:
        quoted = ", ".join(f'"{c}"' for c in columns)
        await client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({quoted})')


class Migration(migrations.Migration):
    dependencies = [("models", "0006_organization_slugs")]

    initial = False

    operations = [ops.RunPython(restore_indexes, ops.RunPython.noop)]
