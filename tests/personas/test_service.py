from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.core.errors import DomainError, Forbidden
from app.models.audit import AuditAction, AuditEvent
from app.models.order import Order, OrderStatus
from app.models.persona import (
    Persona,
    PersonaAssignment,
    PersonaSet,
    PersonaSetStatus,
    RoadmapItem,
    RoadmapItemSource,
)
from app.models.staff import Role
from app.personas import generation, service
from app.personas.errors import PersonaErrorCode as Code
from app.personas.errors import PersonaSetFailure as Failure
from app.personas.service import PersonasStatus, Requirement
from tests.conftest import make_tenant
from tests.personas.fixtures import (
    AS_OF,
    add_buyer,
    assignments,
    generate,
    seeded_tenant,
    set_persona_rules,
    set_program,
    staff,
)


async def code_of(call: Any) -> Code:
    with pytest.raises(DomainError) as caught:
        await call
    return caught.value.code  # type: ignore[return-value]


class TestEligibility:
    async def test_an_organization_without_orders_is_told_everything_it_lacks(self) -> None:
        tenant = await make_tenant()
        found = await service.eligibility(staff(tenant))
        assert not found.eligible
        assert [r.requirement for r in found.reasons] == [
            Requirement.COMPLETED_ORDERS,
            Requirement.BIRTHDAY_REWARD,
            Requirement.CUSTOMERS_WITH_ORDERS,
        ]
        orders = found.reasons[0]
        assert (orders.required, orders.actual) == (30, 0)
        assert "30 completed orders" in orders.message

        error = await code_of(service.request_regeneration(staff(tenant)))
        assert error is Code.NOT_ELIGIBLE
        assert await PersonaSet.filter(organization_id=tenant.organization_id).count() == 0

    async def test_counts_are_exact_below_the_thresholds(self) -> None:
        tenant = await make_tenant()
        await set_program(tenant.organization_id, birthday_reward_enabled=True)
        for n in range(4):
            await add_buyer(tenant.organization_id, n, orders=3)
        found = await service.eligibility(staff(tenant))
        by = {r.requirement: r for r in found.reasons}
        assert set(by) == {Requirement.COMPLETED_ORDERS, Requirement.CUSTOMERS_WITH_ORDERS}
        assert by[Requirement.COMPLETED_ORDERS].actual == 12
        assert by[Requirement.CUSTOMERS_WITH_ORDERS].actual == 4

    async def test_birthday_reward_is_required_unless_the_rules_say_otherwise(self) -> None:
        tenant = await seeded_tenant(200, birthday_reward=False)
        found = await service.eligibility(staff(tenant))
        assert [r.requirement for r in found.reasons] == [Requirement.BIRTHDAY_REWARD]
        with pytest.raises(DomainError) as caught:
            await service.request_regeneration(staff(tenant))
        assert caught.value.code is Code.NOT_ELIGIBLE
        assert "birthday reward" in caught.value.message

        await set_persona_rules(tenant.organization_id, require_birthday_reward=False)
        assert (await service.eligibility(staff(tenant))).eligible

    async def test_reading_needs_the_persona_permission(self) -> None:
        tenant = await make_tenant()
        with pytest.raises(Forbidden):
            await service.eligibility(staff(tenant, Role.STAFF))


class TestRequests:
    async def test_once_in_the_interval_unless_an_owner_forces_it(self) -> None:
        tenant = await seeded_tenant(300)
        first = await generate(tenant)
        assert first.status is PersonaSetStatus.READY

        manager = staff(tenant, Role.MANAGER)
        assert await code_of(service.request_regeneration(manager)) is Code.RATE_LIMITED
        assert (
            await code_of(service.request_regeneration(manager, force=True))
            is Code.FORCE_REQUIRES_OWNER
        )
        forced = await service.request_regeneration(staff(tenant), force=True)
        assert forced.forced
        assert forced.status is PersonaSetStatus.RUNNING
        events = await AuditEvent.filter(
            organization_id=tenant.organization_id,
            action=AuditAction.PERSONAS_REGENERATION_REQUESTED,
        ).count()
        assert events == 2

    async def test_the_interval_is_counted_from_the_current_generation(self) -> None:
        tenant = await seeded_tenant(300)
        first = await generate(tenant)
        month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
        await PersonaSet.filter(id=first.id).update(generated_at=month_ago)
        again = await service.request_regeneration(staff(tenant, Role.MARKETING))
        assert again.status is PersonaSetStatus.RUNNING
        assert not again.forced

    async def test_a_request_while_one_runs_is_refused(self) -> None:
        tenant = await seeded_tenant(300)
        running = await service.request_regeneration(staff(tenant))
        for force in (False, True):
            error = await code_of(service.request_regeneration(staff(tenant), force=force))
            assert error is Code.REGENERATION_IN_PROGRESS
        # One that ran for too long (a lost worker) is given up instead.
        old = dt.datetime.now(dt.UTC) - service.STALE_AFTER - dt.timedelta(minutes=1)
        await PersonaSet.filter(id=running.id).update(created_at=old)
        fresh = await service.request_regeneration(staff(tenant))
        stale = await PersonaSet.get(id=running.id)
        assert stale.status is PersonaSetStatus.FAILED
        assert stale.error_code == Failure.TIMED_OUT
        assert fresh.status is PersonaSetStatus.RUNNING

    async def test_roles_without_the_permission_are_refused(self) -> None:
        tenant = await seeded_tenant(100)
        for role in (Role.ANALYST, Role.MARKETING_ANALYST, Role.OPERATOR, Role.STAFF):
            with pytest.raises(Forbidden):
                await service.request_regeneration(staff(tenant, role))


class TestGeneration:
    async def test_a_set_becomes_current_with_every_assignment_and_previous_ones_stay(
        self,
    ) -> None:
        tenant = await seeded_tenant(400)
        first = await generate(tenant)
        second = await generate(tenant, force=True)
        sets = {s.id: s for s in await PersonaSet.filter(organization_id=tenant.organization_id)}
        assert sets[first.id].status is PersonaSetStatus.READY
        assert not sets[first.id].is_current
        assert sets[second.id].is_current
        assert len(await assignments(second.id)) == second.customer_count
        # History keeps the personas of earlier sets.
        assert await Persona.filter(persona_set_id=first.id).count() > 0

        view = await service.overview(staff(tenant))
        assert view.status is PersonasStatus.READY
        assert view.current is not None
        assert view.current.id == second.id
        assert sum(p.size for p in view.personas) == second.customer_count
        assert abs(sum(p.share for p in view.personas) - 1.0) < 0.01
        assert 3 <= len(view.personas) <= 9

    async def test_an_erased_customer_can_be_forgotten(self) -> None:
        tenant = await seeded_tenant(300)
        done = await generate(tenant)
        customer_id = next(iter(await assignments(done.id)))
        assert await service.forget_customer(staff(tenant), customer_id) == 1
        assert customer_id not in await assignments(done.id)
        assert await service.personas_of_customers(staff(tenant), [customer_id]) == {}

    async def test_assignments_older_than_the_previous_set_are_pruned(self) -> None:
        tenant = await seeded_tenant(300)
        first = await generate(tenant)
        second = await generate(tenant, force=True)
        third = await generate(tenant, force=True)
        assert await PersonaAssignment.filter(persona_set_id=first.id).count() == 0
        assert await PersonaAssignment.filter(persona_set_id=second.id).count() > 0
        assert await PersonaAssignment.filter(persona_set_id=third.id).count() > 0

    async def test_running_twice_is_harmless(self) -> None:
        tenant = await seeded_tenant(300)
        done = await generate(tenant)
        again = await service.run_generation(staff(tenant), done.id, as_of=AS_OF)
        assert again is not None
        assert again.status is PersonaSetStatus.READY
        assert len(await assignments(done.id)) == done.customer_count
        assert await service.run_generation(staff(tenant), uuid.uuid4()) is None

    async def test_an_interrupted_run_is_never_current_and_a_rerun_finishes_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        tenant = await seeded_tenant(300)
        first = await generate(tenant)
        requested = await service.request_regeneration(staff(tenant), force=True)

        async def crash(*args: object, **kwargs: object) -> None:
            raise RuntimeError("worker killed")

        # Dies after personas and assignments are written, before the switch.
        monkeypatch.setattr(generation, "_add_roadmap_items", crash)
        with pytest.raises(RuntimeError):
            await service.run_generation(staff(tenant), requested.id, as_of=AS_OF)
        half = await PersonaSet.get(id=requested.id)
        assert half.status is PersonaSetStatus.RUNNING
        assert not half.is_current
        view = await service.overview(staff(tenant))
        assert view.current is not None
        assert view.current.id == first.id
        assert view.status is PersonasStatus.RUNNING

        monkeypatch.undo()
        done = await service.run_generation(staff(tenant), requested.id, as_of=AS_OF)
        assert done is not None
        assert done.is_current
        assert (done.details or {})["attempts"] == 2
        assert len(await assignments(done.id)) == done.customer_count

    async def test_too_many_attempts_end_failed(self) -> None:
        tenant = await seeded_tenant(100)
        requested = await service.request_regeneration(staff(tenant))
        await PersonaSet.filter(id=requested.id).update(details={"attempts": service.MAX_ATTEMPTS})
        done = await service.run_generation(staff(tenant), requested.id, as_of=AS_OF)
        assert done is not None
        assert done.status is PersonaSetStatus.FAILED
        assert done.error_code == Failure.TOO_MANY_ATTEMPTS

    async def test_eligibility_lost_before_the_run_fails_it_with_a_reason(self) -> None:
        tenant = await seeded_tenant(100)
        requested = await service.request_regeneration(staff(tenant))
        await set_program(tenant.organization_id, birthday_reward_enabled=False)
        done = await service.run_generation(staff(tenant), requested.id, as_of=AS_OF)
        assert done is not None
        assert done.status is PersonaSetStatus.FAILED
        assert done.error_code == Failure.NOT_ELIGIBLE
        assert (done.details or {})["reasons"] == ["BIRTHDAY_REWARD"]
        view = await service.overview(staff(tenant))
        assert view.status is PersonasStatus.FAILED
        assert view.personas == []

    async def test_reconcile_resumes_recent_sets_and_fails_old_ones(self) -> None:
        tenant = await seeded_tenant(100)
        other = await seeded_tenant(100, name="Globex")
        recent = await service.request_regeneration(staff(tenant))
        old = await service.request_regeneration(staff(other))
        await PersonaSet.filter(id=old.id).update(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        )
        assert await service.reconcile(staff(other)) == service.Reconciled([], [old.id])
        # No queue bound: the run cannot be sent, so nothing counts as resumed.
        assert await service.reconcile(staff(tenant)) == service.Reconciled([], [])
        assert (await PersonaSet.get(id=recent.id)).status is PersonaSetStatus.RUNNING
        assert (await PersonaSet.get(id=old.id)).error_code == Failure.TIMED_OUT


class TestBadInput:
    async def test_all_customers_identical_make_one_persona(self) -> None:
        tenant = await make_tenant()
        await set_program(tenant.organization_id, birthday_reward_enabled=True)
        for n in range(35):
            await add_buyer(tenant.organization_id, n, orders=1, total="25.00", days_ago=10)
        done = await generate(tenant)
        assert done.status is PersonaSetStatus.READY
        personas = await Persona.filter(persona_set_id=done.id)
        assert [(p.size, p.is_other, p.name) for p in personas] == [(35, False, "One-time buyers")]
        # Nothing differs from the base (it is the base), but all bought once: a trial.
        assert [m["key"] for m in personas[0].motivations] == ["TRIAL"]

    async def test_missing_birthdays_and_locations_are_fine(self) -> None:
        tenant = await make_tenant()
        await set_program(tenant.organization_id, birthday_reward_enabled=True)
        for n in range(40):
            await add_buyer(
                tenant.organization_id,
                n,
                orders=1 + n % 4,
                total=f"{10 + (n % 5) * 40}.00",
                days_ago=5 + (n % 7) * 60,
            )
        done = await generate(tenant)
        assert done.status is PersonaSetStatus.READY
        for p in await Persona.filter(persona_set_id=done.id):
            assert p.demographics["medianAge"] is None
            assert p.demographics["ageBands"] == []
            assert p.demographics["topCities"] == []
            assert p.demographics["topCountries"] == []

    async def test_one_huge_customer_is_never_a_persona_of_its_own(self) -> None:
        tenant = await make_tenant()
        await set_program(tenant.organization_id, birthday_reward_enabled=True)
        for n in range(40):
            await add_buyer(tenant.organization_id, n, orders=1 + n % 3, total="30.00")
        await add_buyer(
            tenant.organization_id, 99, orders=40, total="99999.00", gap_days=1, redeem=5000
        )
        done = await generate(tenant)
        assert done.status is PersonaSetStatus.READY
        for p in await Persona.filter(persona_set_id=done.id):
            assert p.size >= 10
            # Robust aggregates: the giant does not set anyone's average.
            assert p.behaviors["medianOrderValue"] < 1000

    async def test_too_few_buyers_with_completed_orders_fail_the_run_cleanly(self) -> None:
        tenant = await make_tenant()
        await set_program(tenant.organization_id, birthday_reward_enabled=True)
        buyers = [await add_buyer(tenant.organization_id, n, orders=2) for n in range(30)]
        requested = await service.request_regeneration(staff(tenant))
        # Refunded meanwhile: the quick eligibility count still sees 30 buyers, the run does not.
        await Order.filter(customer_id__in=[b.id for b in buyers[:5]]).update(
            status=OrderStatus.REFUNDED
        )
        done = await service.run_generation(staff(tenant), requested.id, as_of=AS_OF)
        assert done is not None
        assert done.status is PersonaSetStatus.FAILED
        assert done.error_code == Failure.NOT_ENOUGH_CUSTOMERS
        assert await Persona.filter(persona_set_id=done.id).count() == 0


class TestRoadmapAcrossRefreshes:
    async def test_staff_edits_survive_a_refresh_and_dismissed_items_stay_away(self) -> None:
        tenant = await seeded_tenant(1_200)
        first = await generate(tenant)
        owner = staff(tenant)
        view = await service.overview(owner)
        persona = next(p for p in view.personas if not p.is_other)
        items = (await service.roadmaps(staff(tenant), [persona.identity_id]))[persona.identity_id]
        assert len(items) >= 2
        assert all(i.source is RoadmapItemSource.GENERATED for i in items)
        ticked, dismissed = items[0], items[-1]
        await service.update_roadmap_item(
            owner, ticked.id, service.RoadmapChanges(done=True, notes="Launched in May")
        )
        await service.delete_roadmap_item(owner, dismissed.id)
        mine = await service.add_roadmap_item(owner, persona.identity_id, title="Tasting evening")

        second = await generate(tenant, force=True)
        assert second.id != first.id
        kept = await Persona.get(persona_set_id=second.id, identity_id=persona.identity_id)
        after = (await service.roadmaps(staff(tenant), [kept.identity_id]))[kept.identity_id]
        by_id = {i.id: i for i in after}
        assert by_id[ticked.id].done
        assert by_id[ticked.id].notes == "Launched in May"
        assert mine.id in by_id
        assert dismissed.id not in by_id
        assert [i.rule_key for i in after].count(dismissed.rule_key) == 0
        assert await RoadmapItem.filter(id=dismissed.id, dismissed=True).exists()
        # No generated item was added twice.
        keys = [i.rule_key for i in after if i.rule_key]
        assert len(keys) == len(set(keys))
