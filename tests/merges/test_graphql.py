"""customerMerge, customerUnmerge, merge history and alias lookups through GraphQL."""

from __future__ import annotations

from typing import Any

from app.models.customer import Customer, CustomerStatus
from app.models.merge import CustomerMerge
from app.models.staff import Role
from app.models.wallet import LedgerEntry
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff, audit_events, create_customer
from tests.merges.helpers import (
    earn,
    merge,
    merged_ok,
    order,
    read,
    unmerge,
)
from tests.wallets.helpers import assert_wallet_consistent


async def pair(gql: GraphQLClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ada signed up online with an email; at the till she gave a phone and a reference."""
    online = await create_customer(
        gql, token, firstName="Ada", email="ada@example.com", traits={"size": "M"}
    )
    till = await create_customer(
        gql,
        token,
        firstName="Adeline",
        lastName="Lovelace",
        phone="(202) 555-0143",
        externalReference="pos-77",
        birthday="1990-12-10",
        traits={"size": "L", "color": "blue"},
    )
    return online, till


async def funded_pair(gql: GraphQLClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pair, with points on both wallets and an order on the till's record."""
    online, till = await pair(gql, token)
    await earn(gql, token, online["id"], 30, "e1")
    await earn(gql, token, till["id"], 70, "e2")
    await order(gql, token, till["id"], "R-1", "20.00")
    return online, till


class TestMerge:
    async def test_fields_points_and_orders_fold_into_the_survivor(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        online, till = await funded_pair(gql, t)
        payload = await merged_ok(gql, t, online["id"], [till["id"]])
        result = payload["customer"]
        assert result["id"] == online["id"]
        # The survivor's values win, blanks come from the merged record, traits key by key.
        assert (result["firstName"], result["lastName"]) == ("Ada", "Lovelace")
        assert (result["email"], result["phone"]) == ("ada@example.com", "+12025550143")
        assert result["externalReference"] == "pos-77"
        assert result["traits"] == {"size": "M", "color": "blue"}
        points = await Customer.get(id=till["id"])
        assert points.points_balance == 0
        assert result["orderCount"] == 1
        assert result["wallet"]["balance"] >= 100
        survivor = await assert_wallet_consistent(online["id"])
        merged_row = await assert_wallet_consistent(till["id"])
        assert merged_row.status is CustomerStatus.MERGED
        assert merged_row.merged_into_id == survivor.id
        assert merged_row.phone is None
        kinds = sorted(e.kind.value for e in await LedgerEntry.filter(customer_id=online["id"]))
        assert "MERGE_IN" in kinds
        assert "MERGE_OUT" in kinds
        provenance = {p["field"]: p["customerId"] for p in payload["provenance"]}
        assert provenance["firstName"] == online["id"]
        assert provenance["lastName"] == till["id"]
        assert provenance["traits.color"] == till["id"]
        assert payload["merge"]["mergedIds"] == [till["id"]]

    async def test_a_dry_run_shows_the_result_and_writes_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        online, till = await pair(gql, t)
        before = [await read(gql, t, online["id"]), await read(gql, t, till["id"])]
        payload = await merged_ok(
            gql,
            t,
            online["id"],
            [till["id"]],
            dryRun=True,
            fieldChoices=[{"field": "firstName", "customerId": till["id"]}],
        )
        assert payload["merge"] is None
        assert payload["customer"]["firstName"] == "Adeline"
        provenance = {p["field"]: p["customerId"] for p in payload["provenance"]}
        assert provenance["firstName"] == till["id"]
        assert provenance["email"] == online["id"]
        assert provenance["phone"] == till["id"]
        after = [await read(gql, t, online["id"]), await read(gql, t, till["id"])]
        assert after == before
        assert await CustomerMerge.all().count() == 0

    async def test_an_opt_out_on_any_record_wins(self, gql: GraphQLClient, tenant: Tenant) -> None:
        t = tenant.token
        survivor = await create_customer(gql, t, email="a@example.com", emailOptIn=True)
        other = await create_customer(gql, t, email="b@example.com", emailOptIn=True)
        changed = await gql.data(
            "mutation($id: ID!) { customerUpdate(id: $id, input: {emailOptIn: false}) {"
            " errors { code } } }",
            {"id": other["id"]},
            t,
        )
        assert changed["customerUpdate"]["errors"] == []
        payload = await merged_ok(gql, t, survivor["id"], [other["id"]])
        assert payload["customer"]["consent"]["emailOptIn"] is False

    async def test_refusals_are_typed_and_write_nothing(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        t = tenant.token
        a = await create_customer(gql, t, firstName="A")
        b = await create_customer(gql, t, firstName="B")
        foreign = await create_customer(gql, other_tenant.token, firstName="F")

        async def codes(survivor: str, merged: list[str], **extra: Any) -> list[str]:
            return [e["code"] for e in (await merge(gql, t, survivor, merged, **extra))["errors"]]

        assert await codes(a["id"], [a["id"]]) == ["MERGE_WITH_ITSELF"]
        assert await codes(a["id"], []) == ["NOTHING_TO_MERGE"]
        assert await codes(a["id"], [foreign["id"]]) == ["CUSTOMER_NOT_FOUND"]
        assert await codes(foreign["id"], [a["id"]]) == ["CUSTOMER_NOT_FOUND"]
        many = [(await create_customer(gql, t, firstName=f"M{n}"))["id"] for n in range(10)]
        assert await codes(a["id"], many) == ["TOO_MANY_MERGED"]
        assert await codes(
            a["id"], [b["id"]], fieldChoices=[{"field": "shoeSize", "customerId": b["id"]}]
        ) == ["INVALID_FIELD_CHOICE"]
        await Customer.filter(id=b["id"]).update(status=CustomerStatus.ERASED)
        assert await codes(a["id"], [b["id"]]) == ["CUSTOMER_ERASED"]
        c = await create_customer(gql, t, firstName="C")
        await merged_ok(gql, t, a["id"], [c["id"]])
        assert await codes(many[0], [c["id"]]) == ["ALREADY_MERGED"]
        assert await CustomerMerge.all().count() == 1
        # Nine at once is the limit, not an error.
        await merged_ok(gql, t, many[0], many[1:])

    async def test_archived_customers_can_be_merged_and_the_survivor_keeps_its_status(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        survivor = await create_customer(gql, t, firstName="S")
        archived = await create_customer(gql, t, firstName="Old", email="old@example.com")
        for customer_id in (survivor["id"], archived["id"]):
            done = await gql.data(
                'mutation($id: ID!) { customerArchive(id: $id, reason: "dup") {'
                " errors { code } } }",
                {"id": customer_id},
                t,
            )
            assert done["customerArchive"]["errors"] == []
        payload = await merged_ok(gql, t, survivor["id"], [archived["id"]])
        assert payload["customer"]["status"] == "ARCHIVED"
        assert payload["customer"]["email"] == "old@example.com"

    async def test_a_role_without_the_merge_permission_is_refused(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        a = await create_customer(gql, tenant.token, firstName="A")
        b = await create_customer(gql, tenant.token, firstName="B")
        marketing = await add_staff(tenant, Role.MARKETING)
        body = await gql.raw(
            "mutation($i: CustomerMergeInput!) { customerMerge(input: $i) { errors { code } } }",
            {"i": {"survivorId": a["id"], "mergedIds": [b["id"]]}},
            marketing.token,
        )
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert await CustomerMerge.all().count() == 0


class TestLookups:
    async def test_every_old_identifier_leads_to_the_survivor(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        online, till = await pair(gql, t)
        # The survivor keeps its own phone: the merged one becomes an alias.
        await gql.data(
            'mutation($id: ID!) { customerUpdate(id: $id, input: {phone: "2025550100"}) {'
            " errors { code } } }",
            {"id": online["id"]},
            t,
        )
        other = await create_customer(gql, t, email="grace@example.com")
        await merged_ok(gql, t, online["id"], [till["id"]])
        one = (
            "query($id: ID, $phone: String, $ref: String) {"
            " customer(id: $id, phone: $phone, externalReference: $ref) { id } }"
        )
        for variables in ({"id": till["id"]}, {"phone": "+1 202 555 0143"}, {"ref": "pos-77"}):
            found = await gql.data(one, variables, t)
            assert found["customer"] == {"id": online["id"]}, variables
        search = "query($s: String!) { customers(search: $s) { nodes { id } } }"
        for term in ("(202) 555-0143", till["id"], "merge:+12025550143", "merge:2025550143"):
            listed = await gql.data(search, {"s": term}, t)
            assert listed["customers"]["nodes"] == [{"id": online["id"]}], term
        for term in ("merge:grace@example.com",):
            listed = await gql.data(search, {"s": term}, t)
            assert listed["customers"]["nodes"] == [{"id": other["id"]}], term
        listed = await gql.data(search, {"s": "merge:nobody@example.com"}, t)
        assert listed["customers"]["nodes"] == []
        wallet = "query($p: String!) { wallet(phone: $p) { customerId } }"
        assert (await gql.data(wallet, {"p": "202-555-0143"}, t))["wallet"] == {
            "customerId": online["id"]
        }

    async def test_chains_collapse_to_the_current_survivor(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        a = await create_customer(gql, t, email="a@example.com")
        b = await create_customer(gql, t, email="b@example.com")
        c = await create_customer(gql, t, email="c@example.com")
        await merged_ok(gql, t, b["id"], [a["id"]])
        await merged_ok(gql, t, c["id"], [b["id"]])
        for email in ("a@example.com", "b@example.com"):
            found = await gql.data(
                "query($e: String!) { customer(email: $e) { id } }", {"e": email}, t
            )
            assert found["customer"] == {"id": c["id"]}, email
            listed = await gql.data(
                "query($s: String!) { customers(search: $s) { nodes { id } } }",
                {"s": f"merge:{email}"},
                t,
            )
            assert listed["customers"]["nodes"] == [{"id": c["id"]}]
        wallet = await gql.data(
            "query($e: String!) { wallet(email: $e) { customerId } }", {"e": "a@example.com"}, t
        )
        assert wallet["wallet"] == {"customerId": c["id"]}

    async def test_an_alias_cannot_be_taken_by_another_customer(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        a = await create_customer(gql, t, email="a@example.com")
        b = await create_customer(gql, t, email="b@example.com")
        await merged_ok(gql, t, a["id"], [b["id"]])
        created = await gql.data(
            'mutation { customerCreate(input: {email: "B@example.com"}) {'
            " customer { id } errors { code field } } }",
            token=t,
        )
        assert created["customerCreate"]["errors"] == [
            {"code": "DUPLICATE_EMAIL", "field": "email"}
        ]
        other = await create_customer(gql, t, firstName="O")
        updated = await gql.data(
            'mutation($id: ID!) { customerUpdate(id: $id, input: {email: "b@example.com"}) {'
            " errors { code } } }",
            {"id": other["id"]},
            t,
        )
        assert updated["customerUpdate"]["errors"] == [{"code": "DUPLICATE_EMAIL"}]


class TestUnmerge:
    async def test_unmerge_restores_both_customers_exactly(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        online, till = await funded_pair(gql, t)
        before = [await read(gql, t, online["id"]), await read(gql, t, till["id"])]
        payload = await merged_ok(
            gql,
            t,
            online["id"],
            [till["id"]],
            fieldChoices=[{"field": "firstName", "customerId": till["id"]}],
        )
        undone = await unmerge(gql, t, payload["merge"]["id"])
        assert undone["errors"] == []
        assert undone["merge"]["undone"] is True
        after = [await read(gql, t, online["id"]), await read(gql, t, till["id"])]
        assert after == before
        await assert_wallet_consistent(online["id"])
        await assert_wallet_consistent(till["id"])
        kinds = {e.kind.value for e in await LedgerEntry.filter(customer_id=online["id"])}
        assert "UNMERGE" in kinds
        # The merged identifiers are live again on their own customer, no longer aliases.
        found = await gql.data('query { customer(externalReference: "pos-77") { id } }', token=t)
        assert found["customer"] == {"id": till["id"]}
        again = await unmerge(gql, t, payload["merge"]["id"])
        assert [e["code"] for e in again["errors"]] == ["ALREADY_UNDONE"]
        events = await audit_events(gql, t, online["id"])
        actions = [e["action"] for e in events]
        assert actions[:2] == ["CUSTOMERS_UNMERGED", "CUSTOMERS_MERGED"]

    async def test_activity_after_the_merge_stays_with_the_survivor(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        online, till = await pair(gql, t)
        await earn(gql, t, till["id"], 70, "e2")
        payload = await merged_ok(gql, t, online["id"], [till["id"]])
        await order(gql, t, online["id"], "R-after", "10.00")
        await earn(gql, t, online["id"], 5, "e3")
        assert (await unmerge(gql, t, payload["merge"]["id"]))["errors"] == []
        survivor = await assert_wallet_consistent(online["id"])
        merged_back = await assert_wallet_consistent(till["id"])
        assert merged_back.points_balance == 70
        assert survivor.order_count == 1
        assert merged_back.order_count == 0

    async def test_a_merge_built_upon_is_undone_last(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        a = await create_customer(gql, t, firstName="A")
        b = await create_customer(gql, t, firstName="B")
        c = await create_customer(gql, t, firstName="C")
        first = await merged_ok(gql, t, b["id"], [a["id"]])
        second = await merged_ok(gql, t, c["id"], [b["id"]])
        refused = await unmerge(gql, t, first["merge"]["id"])
        assert [e["code"] for e in refused["errors"]] == ["LATER_MERGE_FIRST"]
        assert second["merge"]["id"] in refused["errors"][0]["message"]
        assert (await unmerge(gql, t, second["merge"]["id"]))["errors"] == []
        assert (await unmerge(gql, t, first["merge"]["id"]))["errors"] == []
        for customer in (a, b, c):
            assert (await read(gql, t, customer["id"]) or {}).get("id") == customer["id"]

    async def test_an_identifier_now_held_by_another_customer_refuses_the_unmerge(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        survivor = await create_customer(gql, t, firstName="S")
        merged = await create_customer(gql, t, email="x@example.com")
        payload = await merged_ok(gql, t, survivor["id"], [merged["id"]])
        # The survivor took the email, then changed it: the old value is free again...
        await gql.data(
            'mutation($id: ID!) { customerUpdate(id: $id, input: {email: "y@example.com"}) {'
            " errors { code } } }",
            {"id": survivor["id"]},
            t,
        )
        # ...and someone else took it.
        await create_customer(gql, t, email="x@example.com")
        before = await read(gql, t, survivor["id"])
        refused = await unmerge(gql, t, payload["merge"]["id"])
        assert [e["code"] for e in refused["errors"]] == ["IDENTIFIER_TAKEN"]
        assert "x@example.com" not in refused["errors"][0]["message"]
        assert await read(gql, t, survivor["id"]) == before
        assert (await CustomerMerge.get(id=payload["merge"]["id"])).undone_at is None


class TestHistory:
    async def test_merges_are_listed_for_the_organization_and_per_customer(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        t = tenant.token
        a = await create_customer(gql, t, firstName="A")
        b = await create_customer(gql, t, firstName="B")
        c = await create_customer(gql, t, firstName="C")
        first = await merged_ok(gql, t, a["id"], [b["id"]])
        await unmerge(gql, t, first["merge"]["id"])
        second = await merged_ok(gql, t, a["id"], [c["id"]])
        listed = await gql.data(
            "{ merges(first: 1) { totalCount pageInfo { hasNextPage endCursor }"
            " nodes { id undone survivor { id } mergedCustomers { id status"
            " mergedInto { id } } } } }",
            token=t,
        )
        merges = listed["merges"]
        assert merges["totalCount"] == 2
        assert merges["pageInfo"]["hasNextPage"] is True
        (newest,) = merges["nodes"]
        assert newest["id"] == second["merge"]["id"]
        assert newest["survivor"] == {"id": a["id"]}
        assert newest["mergedCustomers"] == [
            {"id": c["id"], "status": "MERGED", "mergedInto": {"id": a["id"]}}
        ]
        history = await gql.data(
            "query($id: ID!) { customer(id: $id) { merges { totalCount nodes { id undone } } } }",
            {"id": a["id"]},
            t,
        )
        assert history["customer"]["merges"]["nodes"] == [
            {"id": second["merge"]["id"], "undone": False},
            {"id": first["merge"]["id"], "undone": True},
        ]
        of_b = await gql.data(
            "query($id: ID!) { customer(id: $id) { merges { nodes { id } } } }",
            {"id": b["id"]},
            t,
        )
        assert of_b["customer"]["merges"]["nodes"] == [{"id": first["merge"]["id"]}]
