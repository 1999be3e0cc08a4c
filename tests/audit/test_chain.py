"""The tamper-evident audit log: every entry hashes the previous one of its organization, and
`verify_chain` / `loyalty audit verify` name the first entry that no longer fits."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid

import pytest
from tortoise import connections

from app.audit import service as audit
from app.audit.chain import GENESIS, entry_hash
from app.auth.principal import Principal
from app.core.ids import new_id
from app.models.audit import AuditAction, AuditChainHead, AuditEvent
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.test_cli import json_of, run_loyalty


async def write(tenant: Tenant, count: int) -> list[AuditEvent]:
    return [
        await audit.record(
            owner_of(tenant), AuditAction.CUSTOMER_ARCHIVED, "customer", new_id(), {"n": i}
        )
        for i in range(count)
    ]


async def sql(statement: str, *values: object) -> None:
    conn = connections.get("default")
    marks = (
        [f"${n}" for n in range(1, len(values) + 1)]
        if conn.capabilities.dialect == "postgres"
        else ["?"] * len(values)
    )
    await conn.execute_query(statement.format(*marks), [str(v) for v in values])


async def chain(tenant: Tenant) -> list[AuditEvent]:
    return list(
        await AuditEvent.filter(organization_id=tenant.organization_id).order_by("sequence")
    )


def system(tenant: Tenant) -> Principal:
    return Principal.system(tenant.organization_id)


class TestChain:
    async def test_each_entry_hashes_the_previous_one_of_its_organization(
        self, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await write(tenant, 3)
        await write(other_tenant, 2)
        entries = await chain(tenant)
        # Bootstrapping wrote the first entry (ORGANIZATION_CREATED).
        assert [e.sequence for e in entries] == [1, 2, 3, 4]
        previous = GENESIS
        for entry in entries:
            assert entry.previous_hash == previous
            assert entry.hash == entry_hash(entry, previous)
            previous = entry.hash
        head = await AuditChainHead.get(organization_id=tenant.organization_id)
        assert (head.sequence, head.hash) == (4, previous)
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.ok
        assert verdict.checked == 4
        assert (await audit.verify_chain(system(other_tenant))).checked == 3

    async def test_a_changed_entry_is_named(self, tenant: Tenant) -> None:
        entries = await write(tenant, 4)
        target = entries[2]
        await sql(
            "UPDATE audit_event SET details = {0} WHERE id = {1}",
            json.dumps({"n": 99}),
            target.id,
        )
        verdict = await audit.verify_chain(system(tenant))
        assert not verdict.ok
        assert verdict.broken_entry == target.id
        assert verdict.broken_sequence == target.sequence
        assert verdict.reason == "content does not match its hash"

    async def test_a_rehashed_entry_breaks_the_next_link(self, tenant: Tenant) -> None:
        entries = await write(tenant, 3)
        await sql("UPDATE audit_event SET hash = {0} WHERE id = {1}", "f" * 64, entries[1].id)
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.broken_entry == entries[1].id

    async def test_a_removed_entry_is_found(self, tenant: Tenant) -> None:
        entries = await write(tenant, 4)
        await sql("DELETE FROM audit_event WHERE id = {0}", entries[1].id)
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.broken_entry == entries[2].id
        assert verdict.reason == "sequence gap (an entry is missing)"

    async def test_removing_the_newest_entries_is_found(self, tenant: Tenant) -> None:
        entries = await write(tenant, 3)
        await sql("DELETE FROM audit_event WHERE id = {0}", entries[-1].id)
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.reason == "newest entries are missing"
        assert verdict.broken_sequence == entries[-1].sequence

    async def test_entries_from_before_the_chain_are_counted_not_checked(
        self, tenant: Tenant
    ) -> None:
        # The migration leaves existing rows as they were: the chain starts at the first entry
        # written after it (see README). Such a row is older than the chain.
        await sql(
            "UPDATE audit_event SET sequence = NULL, hash = NULL, previous_hash = NULL "
            "WHERE organization_id = {0}",
            tenant.organization_id,
        )
        await AuditChainHead.filter(organization_id=tenant.organization_id).delete()
        await write(tenant, 2)
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.ok
        assert (verdict.checked, verdict.unchained) == (2, 1)

    async def test_an_unchained_entry_slipped_in_after_the_chain_began_is_found(
        self, tenant: Tenant
    ) -> None:
        await write(tenant, 2)
        outsider = await AuditEvent.create(
            organization_id=tenant.organization_id,
            action=AuditAction.STAFF_CREATED,
            actor_kind="SYSTEM",
            subject_type="staff",
            subject_id=new_id(),
        )
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.broken_entry == outsider.id
        assert verdict.reason == "entry outside the chain"

    @pytest.mark.postgres_only
    async def test_concurrent_writers_keep_one_valid_chain(self, tenant: Tenant) -> None:
        async def one(i: int) -> None:
            await audit.record(
                owner_of(tenant), AuditAction.CUSTOMER_ARCHIVED, "customer", new_id(), {"i": i}
            )

        await asyncio.gather(*(one(i) for i in range(40)))
        verdict = await audit.verify_chain(system(tenant))
        assert verdict.ok, verdict
        assert verdict.checked == 41
        sequences = [e.sequence for e in await chain(tenant)]
        assert sequences == list(range(1, 42))


class TestVerifyCommand:
    def test_names_the_first_broken_entry(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        home = tmp_path_factory.mktemp("audit-cli")
        booted = run_loyalty(home, "bootstrap", "--org-name", "Shop", "--owner-email", "o@s.com")
        assert booted.returncode == 0, booted.stderr
        org = json_of(booted.stdout)["organizationId"]
        result = run_loyalty(home, "audit", "verify", "--org", org)
        assert result.returncode == 0, result.stderr
        assert json_of(result.stdout) == {
            "organization": org,
            "ok": True,
            "checked": 1,
            "unchained": 0,
        }
        with sqlite3.connect(home / "data" / "loyalty.sqlite3") as db:
            (entry_id,) = db.execute(
                "SELECT id FROM audit_event WHERE organization_id = ?", (org,)
            ).fetchone()
            db.execute("UPDATE audit_event SET actor_kind = 'STAFF' WHERE id = ?", (entry_id,))
        result = run_loyalty(home, "audit", "verify", "--org", org)
        assert result.returncode == 3
        report = json_of(result.stdout)
        assert report["ok"] is False
        assert report["firstBrokenEntry"] == str(uuid.UUID(entry_id))
        assert report["firstBrokenSequence"] == 1
        unknown = run_loyalty(home, "audit", "verify", "--org", str(uuid.UUID(int=5)))
        assert unknown.returncode == 1
        assert json.loads(unknown.stderr.strip().splitlines()[-1])["error"] == "NOT_FOUND"
