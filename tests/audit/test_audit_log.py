"""The audit log is append-only: rows are inserted and never changed or removed."""

from __future__ import annotations

import pytest

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.ids import new_id
from app.models.audit import AppendOnlyViolation, AuditAction, AuditEvent
from tests.conftest import GraphQLClient, Tenant
from tests.factories import audit_events, owner_of


async def an_event(tenant: Tenant) -> AuditEvent:
    return await audit.record(
        owner_of(tenant), AuditAction.CUSTOMER_ARCHIVED, "customer", new_id(), {"reason": "dup"}
    )


class TestAppendOnly:
    async def test_an_event_cannot_be_updated(self, tenant: Tenant) -> None:
        event = await an_event(tenant)
        event.details = {"reason": "rewritten"}
        with pytest.raises(AppendOnlyViolation):
            await event.save()
        stored = await AuditEvent.get(id=event.id)
        assert stored.details == {"reason": "dup"}

    async def test_a_loaded_event_cannot_be_updated(self, tenant: Tenant) -> None:
        event = await AuditEvent.get(id=(await an_event(tenant)).id)
        event.action = AuditAction.CUSTOMER_UNARCHIVED
        with pytest.raises(AppendOnlyViolation):
            await event.save(update_fields=["action"])
        assert (await AuditEvent.get(id=event.id)).action is AuditAction.CUSTOMER_ARCHIVED

    async def test_an_event_cannot_be_deleted(self, tenant: Tenant) -> None:
        event = await an_event(tenant)
        with pytest.raises(AppendOnlyViolation):
            await event.delete()
        assert await AuditEvent.exists(id=event.id)

    async def test_bulk_update_and_delete_are_refused(self, tenant: Tenant) -> None:
        event = await an_event(tenant)
        with pytest.raises(AppendOnlyViolation):
            await AuditEvent.filter(id=event.id).update(details={})
        with pytest.raises(AppendOnlyViolation):
            await AuditEvent.filter(id=event.id).delete()
        assert (await AuditEvent.get(id=event.id)).details == {"reason": "dup"}


class TestRecord:
    async def test_records_who_did_what_to_which_subject(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        event = await an_event(tenant)
        events = await audit_events(gql, tenant.token, event.subject_id)
        assert events == [
            {
                "action": "CUSTOMER_ARCHIVED",
                "actorKind": "STAFF",
                "actorId": str(tenant.owner_id),
                "subjectType": "customer",
                "subjectId": str(event.subject_id),
                "details": {"reason": "dup"},
            }
        ]

    async def test_system_actions_have_no_actor(self, gql: GraphQLClient, tenant: Tenant) -> None:
        events = await audit_events(gql, tenant.token, tenant.organization_id)
        assert [(e["action"], e["actorKind"], e["actorId"]) for e in events] == [
            ("ORGANIZATION_CREATED", "SYSTEM", None)
        ]
        assert events[0]["details"] == {"owner": str(tenant.owner_id)}

    async def test_a_malformed_subject_id_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        codes = await gql.error_codes(
            '{ auditEvents(subjectId: "nope") { nodes { id } } }', token=tenant.token
        )
        assert codes == ["INVALID_ARGUMENT"]

    async def test_each_organization_reads_only_its_own(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await audit.record(
            Principal.system(other_tenant.organization_id),
            AuditAction.ORGANIZATION_UPDATED,
            "organization",
            other_tenant.organization_id,
        )
        events = await audit_events(gql, tenant.token)
        assert [e["subjectId"] for e in events] == [str(tenant.organization_id)]
