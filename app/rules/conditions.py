"""The kind-specific conditions of an earning rule: parsed from the stored JSON object into one
typed value, so evaluation never reads loose keys and a bad object is a typed error on write.

Keys are camelCase, as a client sends them in `conditions`:
- ORDER_MULTIPLIER: `categories`, `tags`, `storeIds` (any of each, all optional), `minTotal`.
  With categories or tags, only the matching items' amount is multiplied.
- FIRST_ORDER: `minTotal` (optional).
- STREAK: `orders` (N, at least 2) and `withinDays` (D): every Nth order within D days.
- MILESTONE: exactly one of `lifetimeOrders` or `lifetimeSpend`.
- PROFILE_COMPLETED: `requiredFields`, the fields that must all be filled.
- REFERRAL: `refereePoints` (optional): what the new, referred customer gets; `points` go to the
  referrer.
- WELCOME, ANNIVERSARY, BIRTHDAY: none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.models.earning_rule import EarningRuleKind as Kind

MAX_VALUES = 50
MAX_DAYS = 3660
MAX_POINTS = 1_000_000
# Customer fields a PROFILE_COMPLETED rule may require, by their GraphQL names.
PROFILE_FIELDS: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "birthday": "birthday",
    "city": "city",
    "region": "region",
    "postalCode": "postal_code",
    "country": "country",
    "favoriteStore": "favorite_store_id",
}


class ConditionsInvalid(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class OrderScope:
    """Which orders (and which of their items) a rule looks at."""

    categories: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    store_ids: frozenset[uuid.UUID] = frozenset()
    min_total: Decimal | None = None


@dataclass(frozen=True)
class Streak:
    orders: int
    within_days: int


@dataclass(frozen=True)
class Milestone:
    lifetime_orders: int | None = None
    lifetime_spend: Decimal | None = None


@dataclass(frozen=True)
class ProfileFields:
    # Model attribute names.
    required: tuple[str, ...]


@dataclass(frozen=True)
class Referral:
    referee_points: int = 0


@dataclass(frozen=True)
class NoConditions:
    pass


Conditions = OrderScope | Streak | Milestone | ProfileFields | Referral | NoConditions

_ALLOWED: dict[Kind, frozenset[str]] = {
    Kind.ORDER_MULTIPLIER: frozenset({"categories", "tags", "storeIds", "minTotal"}),
    Kind.FIRST_ORDER: frozenset({"minTotal"}),
    Kind.STREAK: frozenset({"orders", "withinDays"}),
    Kind.MILESTONE: frozenset({"lifetimeOrders", "lifetimeSpend"}),
    Kind.PROFILE_COMPLETED: frozenset({"requiredFields"}),
    Kind.REFERRAL: frozenset({"refereePoints"}),
    Kind.WELCOME: frozenset(),
    Kind.ANNIVERSARY: frozenset(),
    Kind.BIRTHDAY: frozenset(),
}


def _count(raw: dict[str, Any], key: str, low: int, high: int) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConditionsInvalid(key, f"Must be a whole number from {low} to {high}.")
    return value


def _amount(raw: dict[str, Any], key: str) -> Decimal:
    value = raw.get(key)
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal(-1)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount > Decimal("9999999999.99"):
        raise ConditionsInvalid(key, "Must be an amount greater than 0.")
    return amount.quantize(Decimal("0.01"))


def _texts(raw: dict[str, Any], key: str) -> frozenset[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_VALUES:
        raise ConditionsInvalid(key, f"Must be a list of at most {MAX_VALUES} values.")
    if not all(isinstance(v, str) and v.strip() and len(v) <= 100 for v in value):
        raise ConditionsInvalid(key, "Each value must be a non-empty text.")
    return frozenset(v.strip() for v in value)


def _ids(raw: dict[str, Any], key: str) -> frozenset[uuid.UUID]:
    try:
        return frozenset(uuid.UUID(v) for v in _texts(raw, key))
    except ValueError:
        raise ConditionsInvalid(key, "Each value must be an id.") from None


def _order_scope(raw: dict[str, Any]) -> OrderScope:
    return OrderScope(
        categories=_texts(raw, "categories"),
        tags=_texts(raw, "tags"),
        store_ids=_ids(raw, "storeIds"),
        min_total=_amount(raw, "minTotal") if raw.get("minTotal") is not None else None,
    )


def _milestone(raw: dict[str, Any]) -> Milestone:
    has_orders = raw.get("lifetimeOrders") is not None
    has_spend = raw.get("lifetimeSpend") is not None
    if has_orders == has_spend:
        raise ConditionsInvalid(
            "lifetimeOrders", "Give exactly one of lifetimeOrders or lifetimeSpend."
        )
    if has_orders:
        return Milestone(lifetime_orders=_count(raw, "lifetimeOrders", 1, 1_000_000))
    return Milestone(lifetime_spend=_amount(raw, "lifetimeSpend"))


def _profile(raw: dict[str, Any]) -> ProfileFields:
    names = raw.get("requiredFields")
    if not isinstance(names, list) or not names:
        raise ConditionsInvalid("requiredFields", "Name at least one field.")
    unknown = [n for n in names if n not in PROFILE_FIELDS]
    if unknown:
        raise ConditionsInvalid(
            "requiredFields", "Allowed fields: " + ", ".join(sorted(PROFILE_FIELDS)) + "."
        )
    return ProfileFields(tuple(sorted({PROFILE_FIELDS[n] for n in names})))


def parse(kind: Kind, raw: Any) -> Conditions:
    """The typed conditions of a rule of `kind`; `ConditionsInvalid` names the key at fault."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConditionsInvalid("conditions", "Conditions must be an object.")
    unknown = sorted(set(raw) - _ALLOWED[kind])
    if unknown:
        raise ConditionsInvalid(unknown[0], f"Not a condition of a {kind.value} rule.")
    match kind:
        case Kind.ORDER_MULTIPLIER:
            return _order_scope(raw)
        case Kind.FIRST_ORDER:
            return _order_scope(raw)
        case Kind.STREAK:
            if "orders" not in raw or "withinDays" not in raw:
                raise ConditionsInvalid("orders", "A streak needs orders and withinDays.")
            return Streak(_count(raw, "orders", 2, 1000), _count(raw, "withinDays", 1, MAX_DAYS))
        case Kind.MILESTONE:
            return _milestone(raw)
        case Kind.PROFILE_COMPLETED:
            return _profile(raw)
        case Kind.REFERRAL:
            points = raw.get("refereePoints")
            return Referral(0 if points is None else _count(raw, "refereePoints", 0, MAX_POINTS))
        case _:
            return NoConditions()
