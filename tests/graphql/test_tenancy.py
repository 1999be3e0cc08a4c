"""Tenancy: with organization B's credential, every root field of the schema is run against
organization A's objects, and finds nothing of A's, changes nothing of A's.

The meta-check at the end compares the root fields this test exercised with the schema's:
a new Query, Mutation or Subscription field fails this test until a probe for it is added here
(subscriptions are probed over a real WebSocket).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis
from graphql import FieldNode, OperationDefinitionNode, parse
from graphql import build_schema as schema_from_sdl

from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.core.clock import utcnow
from app.core.ids import new_id
from app.graphql.schema import schema_sdl
from app.models.persona import (
    Persona,
    PersonaAssignment,
    PersonaSet,
    PersonaSetStatus,
    RoadmapItem,
    RoadmapItemSource,
)
from app.models.privacy import BlockReason
from app.models.staff import Role
from app.privacy.service import block_identifiers
from tests.campaigns.tenancy_probes import plant_campaign, probe_campaigns
from tests.conftest import GraphQLClient, Tenant
from tests.consent.tenancy_probes import (
    plant_sms_message,
    plant_sms_settings,
    probe_sms_messages,
    probe_sms_settings,
)
from tests.factories import (
    Key,
    Member,
    add_api_key,
    add_staff,
    create_customer,
    create_store,
    owner_of,
)
from tests.imports.tenancy_probes import plant_import, probe_imports
from tests.live_client import live_client, served
from tests.merges.duplicate_tenancy_probes import (
    SNAPSHOT_FIELDS as DUPLICATE_SNAPSHOT,
)
from tests.merges.duplicate_tenancy_probes import plant_duplicates, probe_duplicates
from tests.merges.tenancy_probes import plant_merge, probe_merges
from tests.predictions.tenancy_probes import plant_prediction_model, probe_predictions
from tests.privacy_requests.tenancy_probes import plant_privacy_request, probe_privacy_requests
from tests.rules.tenancy_probes import plant_rule, probe_rules

A_BLOCKED_EMAIL = "blocked@a-shop.com"

ORDER_RECORD = """
mutation($input: OrderRecordInput!) {
  orderRecord(input: $input) { order { id } replayed points errors { code } }
}"""
WALLET_EARN = """
mutation($id: ID!, $points: Int!, $key: String!) {
  MUTATION(customerId: $id, points: $points, reason: "probe", idempotencyKey: $key) {
    wallet { customerId balance } entry { id } replayed errors { code }
  }
}"""


def root_fields(document: str) -> set[str]:
    """`query.customer`, `mutation.login`, ... for every root field a document selects."""
    found: set[str] = set()
    for definition in parse(document).definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and not selection.name.value.startswith("__"):
                    found.add(f"{definition.operation.value}.{selection.name.value}")
    return found


def schema_root_fields() -> set[str]:
    schema = schema_from_sdl(schema_sdl())
    fields: set[str] = set()
    roots = (
        ("query", schema.query_type),
        ("mutation", schema.mutation_type),
        ("subscription", schema.subscription_type),
    )
    for kind, root in roots:
        if root is not None:
            fields |= {f"{kind}.{name}" for name in root.fields}
    return fields


@dataclass
class Intruder:
    """Organization B's side: every request it sends is recorded by root field."""

    gql: GraphQLClient
    token: str
    exercised: set[str] = field(default_factory=set)

    async def raw(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        self.exercised |= root_fields(document)
        return await self.gql.raw(document, variables, token or self.token)

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.raw(document, variables, token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def payload_codes(
        self, document: str, variables: dict[str, Any], token: str | None = None
    ) -> list[str]:
        """Codes of the `errors` of a mutation payload (the one root field of `document`)."""
        data = await self.data(document, variables, token)
        (payload,) = data.values()
        return [e["code"] for e in payload["errors"]]


@dataclass
class Victim:
    """Organization A and the ids, identifiers and credentials B will try to reach."""

    tenant: Tenant
    manager: Member
    key: Key
    store_id: str
    store_code: str
    signup_form_id: str
    signup_form_name: str
    customer: dict[str, Any]
    archived: dict[str, Any]
    order_id: str
    persona_id: str = ""
    roadmap_item_id: str = ""
    twin_id: str = ""
    suggestion_id: str = ""
    persona_set_id: str = ""

    @property
    def customer_ids(self) -> list[str]:
        return [self.customer["id"], self.archived["id"], self.twin_id]

    @property
    def all_ids(self) -> set[str]:
        return {
            *self.customer_ids,
            str(self.tenant.organization_id),
            str(self.tenant.owner_id),
            str(self.manager.id),
            str(self.key.id),
            self.store_id,
            self.signup_form_id,
            self.order_id,
            self.persona_id,
            self.roadmap_item_id,
            self.suggestion_id,
            self.persona_set_id,
        }


async def build_victim(gql: GraphQLClient, tenant: Tenant) -> Victim:
    token = tenant.token
    store_id = await create_store(gql, token, "a-main")
    form = await gql.data(
        'mutation { signupFormCreate(name: "A form") { signupForm { id } } }', token=token
    )
    form_id = form["signupFormCreate"]["signupForm"]["id"]
    customer = await create_customer(
        gql,
        token,
        firstName="Alice",
        lastName="Anders",
        email="alice@a-shop.com",
        phone="(202) 555-0143",
        externalReference="a-ref-1",
        signupFormId=form_id,
        favoriteStore={"storeId": store_id, "source": "WALLET_APP"},
    )
    archived = await create_customer(
        gql,
        token,
        firstName="Arch",
        email="arch@a-shop.com",
        phone="(202) 555-0177",
        externalReference="a-ref-2",
    )
    done = await gql.data(
        'mutation($id: ID!) { customerArchive(id: $id, reason: "gone") { errors { code } } }',
        {"id": archived["id"]},
        token,
    )
    assert done["customerArchive"]["errors"] == []
    order = await gql.data(
        ORDER_RECORD,
        {
            "input": {
                "customerId": customer["id"],
                "receiptNumber": "A-0001",
                "total": "42.50",
                "placedAt": "2026-01-15T12:00:00Z",
                "storeId": store_id,
                "items": [{"sku": "tea", "price": "42.50", "category": "drinks"}],
            }
        },
        token,
    )
    assert order["orderRecord"]["errors"] == []
    earned = await gql.data(
        WALLET_EARN.replace("MUTATION", "walletEarn"),
        {"id": customer["id"], "points": 100, "key": "a-key-1"},
        token,
    )
    assert earned["walletEarn"]["errors"] == []
    program = await gql.data(
        'mutation { loyaltyProgramUpdate(input: {pointsPerCurrencyUnit: "2"}) {'
        " errors { code } } }",
        token=token,
    )
    assert program["loyaltyProgramUpdate"]["errors"] == []
    return Victim(
        tenant=tenant,
        manager=await add_staff(tenant, Role.MANAGER, email="manager@a-shop.com"),
        key=await add_api_key(tenant, ApiKeyScope.CUSTOMERS_READ, ApiKeyScope.WALLET_READ),
        store_id=store_id,
        store_code="a-main",
        signup_form_id=form_id,
        signup_form_name="A form",
        customer=customer,
        archived=archived,
        order_id=order["orderRecord"]["order"]["id"],
        **await plant_personas(tenant, customer["id"]),
        **await plant_duplicates(gql, tenant, customer["id"]),
    )


async def plant_personas(tenant: Tenant, customer_id: str) -> dict[str, str]:
    """A current persona set for A (one persona with a roadmap item and A's customer in it),
    written directly: A has too little history to be eligible for a real one."""
    org = tenant.organization_id
    persona_set = await PersonaSet.create(
        organization_id=org,
        status=PersonaSetStatus.READY,
        is_current=True,
        generated_at=utcnow(),
        customer_count=1,
    )
    identity = new_id()
    await Persona.create(
        organization_id=org,
        persona_set_id=persona_set.id,
        identity_id=identity,
        name="A persona",
        size=10,
        share=1.0,
        note="A's note",
        behaviors={"oneTimeShare": 0.5, "unitsPerOrder": 2.0, "lostShare": 0.25},
    )
    await PersonaAssignment.create(
        persona_set_id=persona_set.id, customer_id=customer_id, persona_identity_id=identity
    )
    item = await RoadmapItem.create(
        organization_id=org,
        persona_identity_id=identity,
        source=RoadmapItemSource.STAFF,
        title="A's plan",
    )
    return {
        "persona_id": str(identity),
        "roadmap_item_id": str(item.id),
        "persona_set_id": str(persona_set.id),
    }


SNAPSHOT = """
query($customer: ID!, $order: ID!) {
  organization { id name defaultRegion timezone }
  loyaltyProgram { pointsPerCurrencyUnit pointsExpireAfterDays tiers { name } }
  wallet(customerId: $customer) { balance lifetimePoints }
  order(id: $order) { id status total pointsEarned receiptNumber units }
  customers(includeArchived: true, first: 100) {
    nodes {
      id status email phone externalReference firstName lastName traits archiveReason
      favoriteStore { source store { id } } signupForm { id }
      consent { emailOptIn smsState pushOptIn }
      orderCount totalSpent wallet { balance lifetimePoints }
      orders { nodes { id status } }
      persona { id name }
      duplicateSuggestions { id customers { id } }
      merges { nodes { id undone } } mergedInto { id }
    }
  }
DUPLICATES
  personas {
    status
    personas {
      id name note behaviors { oneTimeShare atRiskShare lostShare unitsPerOrder }
      roadmap { id title done notes position }
    }
  }
  archivedCustomers(first: 100) { nodes { id contact archiveReason } }
  staffMembers { id email role isActive }
  apiKeys { id scopes revokedAt }
  stores { id code name }
  signupForms { id name }
  auditEvents(first: 100) { nodes { id action subjectId details } }
  importJobs(first: 100) { nodes { id status cancelRequested counts { processed } } }
  customerStats(includeArchived: true) { customers withOrder byPersona { personaId count } }
  pointsLiability { outstandingPoints }
  merges(first: 100) {
    totalCount nodes { id undone survivor { id } mergedCustomers { id status mergedInto { id } } }
  }
}"""


async def snapshot(gql: GraphQLClient, victim: Victim) -> dict[str, Any]:
    """Everything A can see of itself, read with A's own credential."""
    return await gql.data(
        SNAPSHOT.replace("DUPLICATES", DUPLICATE_SNAPSHOT),
        {"customer": victim.customer["id"], "order": victim.order_id},
        victim.tenant.token,
    )


def assert_no_trace_of(victim: Victim, body: dict[str, Any]) -> None:
    text = str(body)
    for value in victim.all_ids:
        assert value not in text, value
    for identifier in ("alice@a-shop.com", "arch@a-shop.com", "+12025550143", "Alice"):
        assert identifier not in text, identifier


async def probe_customer_queries(b: Intruder, a: Victim) -> None:
    one = (
        "query($id: ID, $email: String, $phone: String, $ref: String) {"
        " customer(id: $id, email: $email, phone: $phone, externalReference: $ref) { id } }"
    )
    for variables in (
        {"id": a.customer["id"]},
        {"id": a.archived["id"]},
        {"email": "alice@a-shop.com"},
        {"email": "ARCH@a-shop.com"},
        {"phone": "+1 202-555-0143"},
        {"phone": "2025550177"},
        {"ref": "a-ref-1"},
        {"ref": "a-ref-2"},
    ):
        assert (await b.data(one, variables))["customer"] is None, variables

    listing = (
        "query($s: String, $where: CustomerWhereInput) {"
        " customers(search: $s, where: $where, includeArchived: true) { nodes { id } } }"
    )
    for search in (
        "alice@a-shop.com",
        "(202) 555-0143",
        "a-ref-1",
        a.customer["id"],
        a.archived["id"],
        "Alice",
        "alice anders",
        "Arch",
        None,
    ):
        data = await b.data(listing, {"s": search})
        assert data["customers"]["nodes"] == [], search
    for where in ({"favoriteStoreId": a.store_id}, {"signupFormId": a.signup_form_id}):
        data = await b.data(listing, {"where": where})
        assert data["customers"]["nodes"] == [], where

    archived = await b.data("{ archivedCustomers { nodes { id contact } } }")
    assert archived["archivedCustomers"]["nodes"] == []


async def probe_customer_mutations(b: Intruder, a: Victim) -> None:
    create = (
        "mutation($input: CustomerFieldsInput!, $ref: ID) {"
        " customerCreate(input: $input, referredBy: $ref) { customer { id } errors { code } } }"
    )
    assert await b.payload_codes(
        create, {"input": {"favoriteStore": {"storeId": a.store_id, "source": "WALLET_APP"}}}
    ) == ["STORE_NOT_FOUND"]
    assert await b.payload_codes(create, {"input": {"signupFormId": a.signup_form_id}}) == [
        "SIGNUP_FORM_NOT_FOUND"
    ]
    assert await b.payload_codes(
        create, {"input": {"firstName": "Referred"}, "ref": a.customer["id"]}
    ) == ["REFERRER_NOT_FOUND"]
    # A's identifiers are free in B: uniqueness is per organization and reveals nothing.
    same = await b.data(
        create, {"input": {"email": "alice@a-shop.com", "phone": "+1 202-555-0143"}}
    )
    assert same["customerCreate"]["errors"] == []
    assert same["customerCreate"]["customer"]["id"] not in a.customer_ids

    found = await b.data(
        'mutation { customerFindOrCreate(externalReference: "a-ref-1") {'
        " created customer { id externalReference } errors { code } } }"
    )
    assert found["customerFindOrCreate"]["created"] is True
    assert found["customerFindOrCreate"]["customer"]["id"] not in a.customer_ids

    update = (
        'mutation($id: ID!) { customerUpdate(id: $id, input: {firstName: "Mallory"}) {'
        " customer { id } errors { code } } }"
    )
    archive = (
        'mutation($id: ID!) { customerArchive(id: $id, reason: "x") {'
        " customer { id } errors { code } } }"
    )
    unarchive = (
        "mutation($id: ID!) { customerUnarchive(id: $id) { customer { id } errors { code } } }"
    )
    for document in (update, archive, unarchive):
        for customer_id in a.customer_ids:
            codes = await b.payload_codes(document, {"id": customer_id})
            assert codes == ["NOT_FOUND"], (document, customer_id)


async def probe_accounts(b: Intruder, a: Victim, b_tenant: Tenant) -> None:
    viewer = await b.data("{ viewer { organizationId staff { id } } }")
    assert viewer["viewer"]["organizationId"] == str(b_tenant.organization_id)

    staff = await b.data("{ staffMembers { id email } }")
    assert staff["staffMembers"] == [{"id": str(b_tenant.owner_id), "email": b_tenant.owner_email}]
    keys = await b.data("{ apiKeys { id } }")
    assert keys["apiKeys"] == []

    # Sign-in is by email alone: A's staff email with B's password is just wrong credentials
    # (A's manager has a password of its own; both owners were made with the same one).
    login = (
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {"
        " token errors { code } } }"
    )
    assert await b.payload_codes(login, {"e": a.manager.email, "p": b_tenant.password}) == [
        "INVALID_CREDENTIALS"
    ]

    role = (
        "mutation($id: ID!) { staffRoleUpdate(id: $id, role: ANALYST) {"
        " staff { id } errors { code } } }"
    )
    deactivate = "mutation($id: ID!) { staffDeactivate(id: $id) { staff { id } errors { code } } }"
    for document in (role, deactivate):
        for staff_id in (a.tenant.owner_id, a.manager.id):
            assert await b.payload_codes(document, {"id": str(staff_id)}) == ["NOT_FOUND"]

    created = await b.data(
        'mutation { staffCreate(input: {email: "b-analyst@b-shop.com", role: ANALYST,'
        ' password: "long enough password"}) { staff { id } errors { code } } }'
    )
    assert created["staffCreate"]["errors"] == []

    revoke = "mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { id } errors { code } } }"
    assert await b.payload_codes(revoke, {"id": str(a.key.id)}) == ["NOT_FOUND"]

    issued = await b.data(
        'mutation { apiKeyCreate(name: "B till", scopes: [CUSTOMERS_WRITE, WALLET_REDEEM]) {'
        " key errors { code } } }"
    )
    b_key = issued["apiKeyCreate"]["key"]
    # B's machine credential sees no more of A than B's staff does.
    for variables in ({"id": a.customer["id"]}, {"email": "alice@a-shop.com"}):
        data = await b.data(
            "query($id: ID, $email: String) { customer(id: $id, email: $email) { id } }",
            variables,
            token=b_key,
        )
        assert data["customer"] is None


async def probe_organizations(b: Intruder, a: Victim, b_tenant: Tenant) -> None:
    org = await b.data("{ organization { id name } }")
    assert org["organization"] == {"id": str(b_tenant.organization_id), "name": "Globex"}
    assert (await b.data("{ stores { id } }"))["stores"] == []
    assert (await b.data("{ signupForms { id } }"))["signupForms"] == []

    updated = await b.data(
        'mutation { organizationUpdate(input: {name: "Hijacked", defaultRegion: "FR"}) {'
        " organization { id } errors { code } } }"
    )
    assert updated["organizationUpdate"]["organization"]["id"] == str(b_tenant.organization_id)
    # Codes and names are unique per organization: A's are free in B.
    store = await b.data(
        'mutation($c: String!) { storeCreate(name: "B", code: $c) {'
        " store { id } errors { code } } }",
        {"c": a.store_code},
    )
    assert store["storeCreate"]["errors"] == []
    form = await b.data(
        "mutation($n: String!) { signupFormCreate(name: $n) {"
        " signupForm { id } errors { code } } }",
        {"n": a.signup_form_name},
    )
    assert form["signupFormCreate"]["errors"] == []


async def probe_audit(b: Intruder, a: Victim) -> None:
    document = "query($s: ID) { auditEvents(subjectId: $s, first: 100) { nodes { subjectId } } }"
    for subject in sorted(a.all_ids):
        data = await b.data(document, {"s": subject})
        assert data["auditEvents"]["nodes"] == [], subject
    everything = await b.data(document, {"s": None})
    assert_no_trace_of(a, everything)


async def probe_privacy(b: Intruder, a: Victim) -> None:
    """B learns nothing of A's identifiers: A's customers, archived ones and blocked
    identifiers are all NOT_FOUND in B's organization."""
    document = (
        "query($email: String, $phone: String) {"
        " identifierStatus(email: $email, phone: $phone) { status survivorId } }"
    )
    for variables in (
        {"email": a.customer["email"]},
        {"phone": a.customer["phone"]},
        {"email": a.archived["email"]},
        {"email": A_BLOCKED_EMAIL},
    ):
        data = await b.data(document, variables)
        assert data["identifierStatus"] == {"status": "NOT_FOUND", "survivorId": None}


async def probe_wallets(b: Intruder, a: Victim) -> None:
    lookup = (
        "query($id: ID, $phone: String, $email: String, $ref: String) {"
        " wallet(customerId: $id, phone: $phone, email: $email, externalReference: $ref) {"
        " customerId balance } }"
    )
    for variables in (
        {"id": a.customer["id"]},
        {"id": a.archived["id"]},
        {"phone": "+1 202-555-0143"},
        {"email": "alice@a-shop.com"},
        {"ref": "a-ref-1"},
    ):
        assert (await b.data(lookup, variables))["wallet"] is None, variables

    for mutation in ("walletEarn", "walletRedeem", "walletAdjust"):
        document = WALLET_EARN.replace("MUTATION", mutation)
        # A's customer, even with the idempotency key A used: no replay of A's entry.
        for key in ("a-key-1", f"b-{mutation}"):
            codes = await b.payload_codes(
                document, {"id": a.customer["id"], "points": 10, "key": key}
            )
            assert codes == ["CUSTOMER_NOT_FOUND"], (mutation, key)

    # Idempotency keys belong to an organization: A's key is new in B.
    mine = await create_customer(b.gql, b.token, firstName="Bo")
    fresh = await b.data(
        WALLET_EARN.replace("MUTATION", "walletEarn"),
        {"id": mine["id"], "points": 7, "key": "a-key-1"},
    )
    assert fresh["walletEarn"]["errors"] == []
    assert fresh["walletEarn"]["replayed"] is False
    assert fresh["walletEarn"]["wallet"] == {"customerId": mine["id"], "balance": 7}

    program = await b.data("{ loyaltyProgram { pointsPerCurrencyUnit } }")
    assert program["loyaltyProgram"]["pointsPerCurrencyUnit"] != "2"
    changed = await b.data(
        'mutation { loyaltyProgramUpdate(input: {pointsPerCurrencyUnit: "5",'
        " pointsExpireAfterDays: 30}) { program { pointsPerCurrencyUnit } errors { code } } }"
    )
    assert changed["loyaltyProgramUpdate"]["errors"] == []


async def probe_orders(b: Intruder, a: Victim) -> None:
    one = "query($id: ID!) { order(id: $id) { id } }"
    assert (await b.data(one, {"id": a.order_id}))["order"] is None
    found = await b.data(
        "query($s: String) { customers(search: $s, includeArchived: true) { nodes { id } } }",
        {"s": "A-0001"},
    )
    assert found["customers"]["nodes"] == []

    def order_input(customer_id: str, **extra: str) -> dict[str, Any]:
        return {
            "input": {
                "customerId": customer_id,
                "receiptNumber": "A-0001",
                "total": "42.50",
                "placedAt": "2026-01-15T12:00:00Z",
                **extra,
            }
        }

    assert await b.payload_codes(ORDER_RECORD, order_input(a.customer["id"])) == [
        "CUSTOMER_NOT_FOUND"
    ]
    mine = await create_customer(b.gql, b.token, firstName="Bea")
    assert await b.payload_codes(ORDER_RECORD, order_input(mine["id"], storeId=a.store_id)) == [
        "STORE_NOT_FOUND"
    ]
    # A's receipt number means nothing in B: a new order, neither a replay nor a conflict.
    recorded = await b.data(ORDER_RECORD, order_input(mine["id"]))
    assert recorded["orderRecord"]["errors"] == []
    assert recorded["orderRecord"]["replayed"] is False
    assert recorded["orderRecord"]["order"]["id"] != a.order_id

    for mutation in ("orderRefund", "orderVoid"):
        document = (
            f'mutation($id: ID!) {{ {mutation}(id: $id, reason: "x") {{'
            " order { id } errors { code } } }"
        )
        assert await b.payload_codes(document, {"id": a.order_id}) == ["NOT_FOUND"], mutation


async def probe_personas(b: Intruder, a: Victim) -> None:
    view = await b.data(
        "{ personas { status personas { id name } regeneration { id } history { id } } }"
    )
    assert view["personas"]["status"] == "NOT_GENERATED"
    assert view["personas"]["personas"] == []
    assert view["personas"]["history"] == []
    assert_no_trace_of(a, view)
    members = await b.data(
        "query($p: ID!) { customers(where: {personaId: $p}, includeArchived: true) {"
        " nodes { id } } }",
        {"p": a.persona_id},
    )
    assert members["customers"]["nodes"] == []

    add = (
        'mutation($p: ID!) { roadmapItemAdd(personaId: $p, input: {title: "B\'s"}) {'
        " roadmapItem { id } errors { code } } }"
    )
    assert await b.payload_codes(add, {"p": a.persona_id}) == ["NOT_FOUND"]
    for document in (
        "mutation($i: ID!) { roadmapItemUpdate(id: $i, input: {done: true}) {"
        " roadmapItem { id } errors { code } } }",
        "mutation($i: ID!) { roadmapItemMove(id: $i, position: 0) {"
        " roadmapItem { id } errors { code } } }",
        "mutation($i: ID!) { roadmapItemDelete(id: $i) { deletedId errors { code } } }",
    ):
        assert await b.payload_codes(document, {"i": a.roadmap_item_id}) == ["NOT_FOUND"]
    # B's own request is judged on B's data alone.
    regenerate = "mutation { personasRegenerate { regeneration { id } errors { code } } }"
    assert await b.payload_codes(regenerate, {}) == ["NOT_ELIGIBLE"]
    # B's recompute is of B's customers (tests/lifecycle/test_graphql.py runs it through a
    # worker and checks A's stay as they were).
    recompute = "mutation { segmentsRecompute { requested errors { code } } }"
    assert await b.payload_codes(recompute, {}) == []


LIVE_NOT_FOUND = {"progress": None, "errors": [{"code": "NOT_FOUND"}]}


async def probe_live(
    b: Intruder, a: Victim, a_import_id: str, settings: Settings, redis: ArqRedis
) -> None:
    """Subscriptions, over a WebSocket with B's credential: A's jobs do not exist for B."""
    probes = [
        (
            "subscription($id: ID!) { importJobProgress(id: $id) {"
            " progress { id status } errors { code } } }",
            {"id": a_import_id},
        ),
        (
            "subscription($id: ID) { personaRegeneration(setId: $id) {"
            " progress { setId status } errors { code } } }",
            {"id": a.persona_set_id},
        ),
        # B's latest regeneration: B has none, A's latest is not B's.
        (
            "subscription { personaRegeneration { progress { setId } errors { code } } }",
            {},
        ),
    ]
    async with served(settings, redis) as url, live_client(url, b.token) as client:
        for document, variables in probes:
            b.exercised |= root_fields(document)
            operation = await client.subscribe(document, variables)
            events = await client.events(operation)
            assert [next(iter(e["data"].values())) for e in events] == [LIVE_NOT_FOUND], events
            assert_no_trace_of(a, {"events": events})


async def probe_admin_figures(b: Intruder, a: Victim) -> None:
    """Sorted lists, the dashboard and the finance figures count B's rows only."""
    mine = await b.data(
        "{ customers(includeArchived: true, sortBy: {field: TOTAL_SPENT, direction: DESC},"
        " first: 100) { totalCount nodes { id orderCount wallet { balance } } } }"
    )
    nodes = mine["customers"]["nodes"]
    assert nodes, "B made customers in the earlier probes"
    assert not {n["id"] for n in nodes} & set(a.customer_ids)
    stats = await b.data(
        "query($where: CustomerWhereInput) { customerStats(where: $where, includeArchived: true)"
        " { customers withOrder byTier { count } byPersona { personaId name count } } }"
    )
    assert stats["customerStats"]["customers"] == mine["customers"]["totalCount"]
    assert stats["customerStats"]["withOrder"] == sum(n["orderCount"] > 0 for n in nodes)
    assert stats["customerStats"]["byPersona"] == []
    assert_no_trace_of(a, stats)
    for where in ({"favoriteStoreId": a.store_id}, {"personaId": a.persona_id}):
        scoped = await b.data(
            "query($where: CustomerWhereInput) { customerStats(where: $where) { customers } }",
            {"where": where},
        )
        assert scoped["customerStats"]["customers"] == 0, where

    owed = sum(n["wallet"]["balance"] for n in nodes)
    liability = await b.data("{ pointsLiability { outstandingPoints expiring { points } } }")
    assert liability["pointsLiability"]["outstandingPoints"] == owed
    summary = await b.data(
        '{ ledgerSummary(from: "2020-01-01", to: "2022-12-31") { net entries } }'
    )
    assert {r["entries"] for r in summary["ledgerSummary"]} == {0}
    now = utcnow().date()
    recent = await b.data(
        "query($f: Date!, $t: Date!) { ledgerSummary(from: $f, to: $t) { net } }",
        {"f": (now.replace(day=1) - dt.timedelta(days=400)).isoformat(), "t": now.isoformat()},
    )
    assert sum(r["net"] for r in recent["ledgerSummary"]) == owed


async def test_organization_b_reaches_nothing_of_organization_a(
    gql: GraphQLClient,
    tenant: Tenant,
    other_tenant: Tenant,
    settings: Settings,
    arq_redis: ArqRedis,
) -> None:
    a = await build_victim(gql, tenant)
    a_import_id = await plant_import(gql, tenant.token)
    a_privacy_id = await plant_privacy_request(gql, tenant.token, a.customer["id"])
    a_merge = await plant_merge(gql, tenant.token)
    await block_identifiers(
        owner_of(tenant), emails=[A_BLOCKED_EMAIL], reason=BlockReason.OPTED_OUT
    )
    a_sms_customer_id = await plant_sms_message(gql, tenant.token)
    await plant_sms_settings(gql, tenant.token)
    a_model = await plant_prediction_model(gql, tenant)
    a_campaign_id = await plant_campaign(gql, tenant.token)
    a_rule_id = await plant_rule(gql, tenant.token)
    before = await snapshot(gql, a)
    b = Intruder(gql, other_tenant.token)

    await probe_customer_queries(b, a)
    await probe_accounts(b, a, other_tenant)
    await probe_organizations(b, a, other_tenant)
    await probe_audit(b, a)
    await probe_privacy(b, a)
    await probe_wallets(b, a)
    await probe_orders(b, a)
    await probe_imports(b, a_import_id)
    await probe_personas(b, a)
    await probe_duplicates(b, a.customer_ids, other_tenant.organization_id)
    await probe_privacy_requests(b, a_privacy_id, a.customer["id"], a.customer["email"])
    await probe_sms_messages(b, a_sms_customer_id)
    await probe_sms_settings(b, gql, tenant.token)
    await probe_predictions(b, gql, tenant.token, a_model)
    await probe_rules(b, a_rule_id, a.store_id, a.persona_id)
    await probe_live(b, a, a_import_id, settings, arq_redis)
    b_customer = await create_customer(gql, other_tenant.token, firstName="Bart")
    await probe_merges(b, a_merge, b_customer["id"])
    await probe_customer_mutations(b, a)
    await probe_admin_figures(b, a)
    await probe_campaigns(b, a_campaign_id, a.persona_id, a.roadmap_item_id, a.store_id)
    # Last: B signs out; A's sessions and keys are not B's to end.
    assert await b.payload_codes("mutation { logout { errors { code } } }", {}) == []

    after = await snapshot(gql, a)
    assert after == before
    for token in (a.tenant.token, a.manager.token):
        viewer = await gql.data("{ viewer { organizationId } }", token=token)
        assert viewer["viewer"]["organizationId"] == str(a.tenant.organization_id)
    seen = await gql.data(
        "query($id: ID!) { customer(id: $id) { id } }", {"id": a.customer["id"]}, a.key.secret
    )
    assert seen["customer"] == {"id": a.customer["id"]}

    missing = schema_root_fields() - b.exercised
    assert not missing, f"root fields without a tenancy probe: {sorted(missing)}"
    assert b.exercised <= schema_root_fields()


def test_root_fields_are_read_from_documents() -> None:
    document = (
        'mutation M { a: login(email: "", password: "") { token } logout { errors { code } } }'
    )
    assert root_fields(document) == {"mutation.login", "mutation.logout"}
    assert root_fields("{ __typename viewer { kind } }") == {"query.viewer"}
    assert {"query.customer", "mutation.customerCreate"} <= schema_root_fields()
