"""On seeded data with planted behaviour groups, the personas find the groups, explain them by
their defining trait, and keep their identities and members across regenerations."""

from __future__ import annotations

from collections import Counter

from sklearn.metrics import adjusted_rand_score

from app.models.persona import Persona, PersonaSetStatus
from tests.personas.fixtures import (
    assignments,
    generate,
    planted_groups,
    seed_more,
    seeded_tenant,
)

# The trait each planted group was built around (app/seed/catalog.py), as a motivation.
DEFINING_MOTIVATION = {
    "deal_seekers": "TRANSACTIONAL_VALUE",  # redeems most of its points
    "big_spenders": "EXCLUSIVITY",  # large baskets, rare visits
    "social_connectors": "BELONGING",  # brings nearly all referrals
    "loyal_regulars": "ROUTINE",  # evenly spaced visits, recently
    "lapsed": "RENEWAL",  # stopped buying over a year ago
}
CUSTOMERS = 2_500


class TestRecovery:
    async def test_personas_recover_the_planted_groups_and_their_traits(self) -> None:
        tenant = await seeded_tenant(CUSTOMERS)
        done = await generate(tenant)
        assert done.status is PersonaSetStatus.READY

        truth = await planted_groups(tenant.organization_id)
        assigned = await assignments(done.id)
        ids = sorted(assigned)
        assert len(ids) == done.customer_count > CUSTOMERS * 0.95
        ari = adjusted_rand_score([truth[i] for i in ids], [str(assigned[i]) for i in ids])
        assert ari >= 0.8, ari

        personas = {p.identity_id: p for p in await Persona.filter(persona_set_id=done.id)}
        for group, motivation in DEFINING_MOTIVATION.items():
            members = Counter(assigned[i] for i in ids if truth[i] == group)
            home, _ = members.most_common(1)[0]
            keys = [m["key"] for m in personas[home].motivations]
            assert motivation in keys, (group, personas[home].name, keys)
            # And it is the persona's leading motivation, which names it.
            assert keys[0] == motivation, (group, keys)


class TestStability:
    async def test_regenerating_unchanged_data_keeps_every_id_and_assignment(self) -> None:
        tenant = await seeded_tenant(CUSTOMERS)
        first = await generate(tenant)
        second = await generate(tenant, force=True)
        assert second.id != first.id
        assert second.is_current

        before = await assignments(first.id)
        after = await assignments(second.id)
        assert after == before
        first_ids = set(
            await Persona.filter(persona_set_id=first.id).values_list("identity_id", flat=True)
        )
        second_ids = set(
            await Persona.filter(persona_set_id=second.id).values_list("identity_id", flat=True)
        )
        assert first_ids == second_ids

    async def test_five_percent_new_customers_keep_nine_in_ten_assignments(self) -> None:
        tenant = await seeded_tenant(CUSTOMERS)
        first = await generate(tenant)
        await seed_more(tenant, CUSTOMERS // 20, seed=99)
        second = await generate(tenant, force=True)

        before = await assignments(first.id)
        after = await assignments(second.id)
        assert len(after) > len(before)
        kept = sum(1 for c, p in before.items() if after.get(c) == p)
        assert kept / len(before) >= 0.9, kept / len(before)
