"""Earning-rule probes for tests/graphql/test_tenancy.py: organization B against A's rules."""

from __future__ import annotations

from typing import Any, Protocol

from tests.conftest import GraphQLClient

CREATE = """
mutation($input: EarningRuleCreateInput!) {
  earningRuleCreate(input: $input) { earningRule { id } errors { code } }
}"""
UPDATE = """
mutation($id: ID!) { earningRuleUpdate(id: $id, input: {name: "B was here"}) {
  earningRule { id } errors { code } } }"""


class IntruderLike(Protocol):
    exercised: set[str]

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...

    async def payload_codes(
        self, document: str, variables: dict[str, Any], token: str | None = None
    ) -> list[str]: ...


async def plant_rule(gql: GraphQLClient, token: str) -> str:
    """A's active welcome rule."""
    data = await gql.data(
        CREATE, {"input": {"kind": "WELCOME", "name": "A's welcome", "points": 10}}, token
    )
    assert data["earningRuleCreate"]["errors"] == [], data
    rule_id: str = data["earningRuleCreate"]["earningRule"]["id"]
    on = "mutation($id: ID!) { earningRuleActivate(id: $id) { errors { code } } }"
    assert (await gql.data(on, {"id": rule_id}, token))["earningRuleActivate"]["errors"] == []
    return rule_id


async def probe_rules(b: IntruderLike, a_rule_id: str, a_store_id: str, a_persona_id: str) -> None:
    one = "query($id: ID!) { earningRule(id: $id) { id } }"
    assert (await b.data(one, {"id": a_rule_id}))["earningRule"] is None
    listing = await b.data("{ earningRules(first: 100) { nodes { id } totalCount } }")
    assert listing["earningRules"] == {"nodes": [], "totalCount": 0}
    assert await b.payload_codes(UPDATE, {"id": a_rule_id}) == ["NOT_FOUND"]
    for name in ("earningRuleActivate", "earningRulePause", "earningRuleArchive"):
        document = (
            f"mutation($id: ID!) {{ {name}(id: $id) {{ earningRule {{ id }} errors {{ code }} }} }}"
        )
        assert await b.payload_codes(document, {"id": a_rule_id}) == ["NOT_FOUND"], name
    # An audience naming A's store or persona is refused: they are not B's.
    for where in ({"favoriteStoreId": a_store_id}, {"personaId": a_persona_id}):
        rule = {"kind": "WELCOME", "name": "B's", "points": 5, "audience": where}
        assert await b.payload_codes(CREATE, {"input": rule}) == ["INVALID_AUDIENCE"], where
