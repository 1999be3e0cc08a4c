"""Who may do what: the one permission matrix (role × operation) and the API key scopes.

Services call `Principal.require(operation)`; the README prints this matrix with
`loyalty permissions`, and a test keeps the two identical.
"""

from __future__ import annotations

from enum import StrEnum

from app.models.staff import Role


class Operation(StrEnum):
    CUSTOMER_READ = "customer:read"
    CUSTOMER_WRITE = "customer:write"
    CUSTOMER_ARCHIVE = "customer:archive"
    CUSTOMER_MERGE = "customer:merge"
    # The placeholder list and sharing threshold duplicate suggestions rely on.
    DUPLICATE_SETTINGS = "duplicates:settings"
    IMPORT_RUN = "import:run"
    WALLET_READ = "wallet:read"
    WALLET_EARN = "wallet:earn"
    WALLET_REDEEM = "wallet:redeem"
    WALLET_ADJUST = "wallet:adjust"
    ORDER_WRITE = "order:write"
    PRIVACY_REQUEST = "privacy:request"
    # Asking whether an email or phone is known, archived, merged, erased or blocked.
    IDENTIFIER_STATUS = "privacy:identifier_status"
    PERSONA_READ = "persona:read"
    PERSONA_EDIT = "persona:edit"
    PERSONA_REGENERATE = "persona:regenerate"
    SEGMENTS_RECOMPUTE = "segments:recompute"
    # Refitting the organization's prediction model (churn risk, expected orders and spend).
    PREDICTIONS_REFIT = "predictions:refit"
    STORE_MANAGE = "store:manage"
    STAFF_MANAGE = "staff:manage"
    API_KEY_MANAGE = "api_key:manage"
    AUDIT_READ = "audit:read"
    ORGANIZATION_MANAGE = "organization:manage"
    PROGRAM_MANAGE = "program:manage"
    # Dashboard counts of the customer base (stage, segment, tier, persona, consent).
    CUSTOMER_STATS = "customer:stats"
    # The finance figures: points liability and the ledger summary.
    FINANCE_READ = "finance:read"
    # One-off campaigns: reading them and their previews; creating, scheduling, cancelling.
    CAMPAIGN_READ = "campaign:read"
    CAMPAIGN_MANAGE = "campaign:manage"
    # Reading earning rules and their counters; creating, editing and switching them.
    EARNING_RULE_READ = "earning_rule:read"
    EARNING_RULE_MANAGE = "earning_rule:manage"


class ApiKeyScope(StrEnum):
    """What a machine client may be granted. Staff-only operations have no scope."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    WALLET_READ = "wallet:read"
    WALLET_EARN = "wallet:earn"
    WALLET_REDEEM = "wallet:redeem"
    ORDERS_WRITE = "orders:write"


SCOPE_OPERATIONS: dict[ApiKeyScope, frozenset[Operation]] = {
    ApiKeyScope.CUSTOMERS_READ: frozenset({Operation.CUSTOMER_READ}),
    ApiKeyScope.CUSTOMERS_WRITE: frozenset({Operation.CUSTOMER_READ, Operation.CUSTOMER_WRITE}),
    ApiKeyScope.WALLET_READ: frozenset({Operation.WALLET_READ}),
    ApiKeyScope.WALLET_EARN: frozenset({Operation.WALLET_READ, Operation.WALLET_EARN}),
    ApiKeyScope.WALLET_REDEEM: frozenset({Operation.WALLET_READ, Operation.WALLET_REDEEM}),
    ApiKeyScope.ORDERS_WRITE: frozenset({Operation.ORDER_WRITE}),
}

_ALL = frozenset(Operation)
_O = Operation

ROLE_OPERATIONS: dict[Role, frozenset[Operation]] = {
    Role.OWNER: _ALL,
    # Everything but the organization's own settings; who may grant OWNER is a service rule.
    Role.MANAGER: _ALL - {_O.ORGANIZATION_MANAGE},
    # Back-office operations on customers and wallets, no people or credentials.
    Role.OPERATOR: frozenset(
        {
            _O.CUSTOMER_READ,
            _O.CUSTOMER_WRITE,
            _O.CUSTOMER_ARCHIVE,
            _O.CUSTOMER_MERGE,
            _O.IMPORT_RUN,
            _O.WALLET_READ,
            _O.WALLET_EARN,
            _O.WALLET_REDEEM,
            _O.WALLET_ADJUST,
            _O.ORDER_WRITE,
            _O.PRIVACY_REQUEST,
            _O.IDENTIFIER_STATUS,
            _O.PERSONA_READ,
            _O.AUDIT_READ,
            _O.CUSTOMER_STATS,
        }
    ),
    # A store associate at the till.
    Role.STAFF: frozenset(
        {
            _O.CUSTOMER_READ,
            _O.CUSTOMER_WRITE,
            _O.WALLET_READ,
            _O.WALLET_EARN,
            _O.WALLET_REDEEM,
            _O.ORDER_WRITE,
        }
    ),
    Role.MARKETING: frozenset(
        {
            _O.CUSTOMER_READ,
            _O.CUSTOMER_WRITE,
            _O.IMPORT_RUN,
            _O.WALLET_READ,
            _O.PERSONA_READ,
            _O.PERSONA_EDIT,
            _O.PERSONA_REGENERATE,
            _O.CUSTOMER_STATS,
            _O.SEGMENTS_RECOMPUTE,
            _O.PREDICTIONS_REFIT,
            _O.CAMPAIGN_READ,
            _O.CAMPAIGN_MANAGE,
            _O.EARNING_RULE_READ,
            _O.EARNING_RULE_MANAGE,
        }
    ),
    Role.MARKETING_ANALYST: frozenset(
        {
            _O.CUSTOMER_READ,
            _O.WALLET_READ,
            _O.PERSONA_READ,
            _O.PERSONA_EDIT,
            _O.CUSTOMER_STATS,
            _O.CAMPAIGN_READ,
            _O.EARNING_RULE_READ,
        }
    ),
    # Reads and reports: the dashboard and the finance figures, nothing that changes data.
    Role.ANALYST: frozenset(
        {
            _O.CUSTOMER_READ,
            _O.WALLET_READ,
            _O.PERSONA_READ,
            _O.CUSTOMER_STATS,
            _O.FINANCE_READ,
            _O.CAMPAIGN_READ,
            _O.EARNING_RULE_READ,
        }
    ),
}


def known_scopes(values: list[str]) -> list[ApiKeyScope]:
    """Stored scope strings to enum members, skipping any this version no longer knows."""
    members = ApiKeyScope._value2member_map_
    return [ApiKeyScope(v) for v in values if v in members]


def role_allows(role: Role, operation: Operation) -> bool:
    return operation in ROLE_OPERATIONS[role]


def scopes_allow(scopes: frozenset[ApiKeyScope], operation: Operation) -> bool:
    return any(operation in SCOPE_OPERATIONS[s] for s in scopes)


def matrix_markdown() -> str:
    """The role × operation table printed in the README."""
    roles = list(Role)
    header = "| operation | " + " | ".join(r.value for r in roles) + " |"
    rule = "|---|" + "|".join(":-:" for _ in roles) + "|"
    rows = [
        f"| `{op.value}` | " + " | ".join("✓" if role_allows(r, op) else "" for r in roles) + " |"
        for op in Operation
    ]
    scope_rows = [
        f"| `{scope.value}` | "
        + ", ".join(f"`{op.value}`" for op in sorted(SCOPE_OPERATIONS[scope]))
        + " |"
        for scope in ApiKeyScope
    ]
    return "\n".join(
        [header, rule, *rows, "", "| API key scope | grants |", "|---|---|", *scope_rows]
    )
