"""The seed's plan (seed, sizes, `now`, program rules) and the arrays a block is made of."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from app.core.identifiers import name_key
from app.seed import catalog
from app.seed.catalog import DEFAULT_PROFILE, GROUPS, PROFILES, TAG_SETS, Group, Profile

if TYPE_CHECKING:
    from app.organizations.program import LoyaltyProgram


I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Customers per generated block: the unit of determinism and of memory.
BLOCK_SIZE = 20_000
# Orders are spread over this many days before `now`.
HISTORY_DAYS = 730
MAX_ORDERS_PER_CUSTOMER = 999

# Vocabularies of the coded columns (the writer turns codes into text).
LEDGER_KINDS = ("EARN", "REDEEM", "EXPIRE")
EARN, REDEEM, EXPIRE = 0, 1, 2
LEDGER_REASONS = (
    "order",
    "redeem",
    "referral bonus",
    "welcome bonus for a referred customer",
    "points expired",
)
R_ORDER, R_REDEEM, R_REFERRAL, R_WELCOME, R_EXPIRED = range(5)
# Idempotency keys are "<prefix><id of the referenced row>", as the services write them.
KEY_PREFIXES = ("order:", "redeem:", "referral:", "referee:", "expire:")
K_ORDER, K_REDEEM, K_REFERRAL, K_REFEREE, K_EXPIRE = range(5)
STAGES = ("MEMBER", "ONE_TIME_BUYER", "ACTIVE", "AT_RISK", "LOST")
S_MEMBER, S_ONE_TIME, S_ACTIVE, S_AT_RISK, S_LOST = range(5)

FIRST_KEYS = tuple(name_key(n) for n in catalog.FIRST_NAMES)
LAST_KEYS = tuple(name_key(n) for n in catalog.LAST_NAMES)


def traits_json(groups: tuple[Group, ...]) -> tuple[str, ...]:
    return tuple(json.dumps({"seedGroup": g.name}, separators=(",", ":")) for g in groups)


TRAITS_JSON = traits_json(GROUPS)
TAGS_JSON = tuple(json.dumps(list(t), separators=(",", ":")) for t in TAG_SETS)


def _ascii_letters(key: str) -> str:
    return "".join(ch for ch in key if "a" <= ch <= "z")


FIRST_LOCAL = tuple(_ascii_letters(k) for k in FIRST_KEYS)
LAST_LOCAL = tuple(_ascii_letters(k) for k in LAST_KEYS)


@dataclass(frozen=True)
class ProgramRules:
    """What generation needs of a `LoyaltyProgram`, as exact integers."""

    points_numerator: int = 1
    points_denominator: int = 1
    expire_after_days: int | None = 365
    referral_bonus: int = 200
    referee_bonus: int = 0
    at_risk_after_days: int = 180
    lost_after_days: int = 365

    @classmethod
    def of(cls, program: LoyaltyProgram) -> ProgramRules:
        numerator, denominator = Decimal(program.points_per_currency_unit).as_integer_ratio()
        return cls(
            points_numerator=max(numerator, 0),
            points_denominator=denominator,
            expire_after_days=program.points_expire_after_days or None,
            referral_bonus=max(program.referral_bonus_points, 0),
            referee_bonus=max(program.referee_bonus_points, 0),
            at_risk_after_days=program.at_risk_after_days,
            lost_after_days=program.lost_after_days,
        )

    def points_for_cents(self, cents: I64) -> I64:
        """floor(total × rate), exactly as `LoyaltyProgram.points_for` on the decimal total."""
        points: I64 = (cents * self.points_numerator) // (self.points_denominator * 100)
        return points


@dataclass(frozen=True)
class SeedPlan:
    customers: int
    orders_per_customer: float
    seed: int
    # The moment the history ends; every timestamp is before it.
    now: dt.datetime
    rules: ProgramRules = field(default_factory=ProgramRules)
    # One flag per store the orders may use (the writer maps indexes to the org's stores).
    store_online: tuple[bool, ...] = tuple(s.online for s in catalog.STORES)
    signup_forms: int = len(catalog.SIGNUP_FORMS)
    # Global index of the first customer: emails, phones and receipts derive from indexes, so
    # a second seeding of the same organization continues after the first.
    start_index: int = 0
    block_size: int = BLOCK_SIZE
    # Which kind of base (`catalog.PROFILES`).
    profile: str = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        if self.customers < 0 or self.orders_per_customer < 0 or self.start_index < 0:
            raise ValueError("sizes must not be negative")
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not self.store_online:
            raise ValueError("at least one store is needed")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")

    @property
    def kind(self) -> Profile:
        return PROFILES[self.profile]

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.kind.groups

    @property
    def now_us(self) -> int:
        return (self.now - EPOCH) // dt.timedelta(microseconds=1)

    def blocks(self) -> list[tuple[int, int]]:
        """(first global index, count) of each block, in order."""
        out = []
        first = self.start_index
        end = self.start_index + self.customers
        while first < end:
            count = min(self.block_size, end - first)
            out.append((first, count))
            first += count
        return out


@dataclass
class Customers:
    """One row per customer, sorted by signup time (`created_at`)."""

    index: I64  # global customer index (identifiers derive from it)
    group: I8
    first_name: I16  # into catalog.FIRST_NAMES
    last_name: I16
    email: list[str | None]
    phone: list[str | None]
    external_reference: list[str]
    birthday: I32  # days since 1970-01-01; meaningful where has_birthday
    has_birthday: Bools
    birthday_monthday: I16
    city: I16  # into catalog.CITIES, -1 when unknown
    country: I8  # into catalog.COUNTRIES, -1 when unknown
    postal_code: list[str | None]
    signup_form: I8  # -1: none
    favorite_store: I16  # -1: none (no orders)
    referrer: I32  # row of the referring customer in this block, -1: none
    created_at: I64  # µs since the Unix epoch
    updated_at: I64
    points_balance: I64
    lifetime_points: I64
    order_count: I32
    total_spent: I64  # cents
    first_order_at: I64  # µs; meaningful where order_count > 0
    last_order_at: I64
    lifecycle_stage: I8  # into STAGES

    def __len__(self) -> int:
        return len(self.index)


@dataclass
class Orders:
    """Sorted by customer row, then time."""

    customer: I32
    store: I16
    sequence: I32  # 0-based number of the order within its customer
    placed_at: I64
    total: I64  # cents
    points: I64

    def __len__(self) -> int:
        return len(self.customer)


@dataclass
class Items:
    """Grouped by order, in order row order."""

    order: I32
    category: I8  # into catalog.CATEGORIES
    product: I32
    tag_set: I8  # into catalog.TAG_SETS
    quantity: I32
    price: I64  # cents, the line amount (unit price times quantity)

    def __len__(self) -> int:
        return len(self.order)


@dataclass
class Ledger:
    """Sorted by customer row, then time (the order the service would have written them)."""

    customer: I32
    kind: I8  # into LEDGER_KINDS
    points: I64
    reason: I8  # into LEDGER_REASONS
    order: I32  # order row, -1: none
    key_kind: I8  # into KEY_PREFIXES
    key_ref: I32  # row of the referenced order / entry / customer, by key_kind
    expires_at: I64  # µs, -1: none
    remaining: I64
    balance_after: I64
    created_at: I64

    def __len__(self) -> int:
        return len(self.customer)


@dataclass
class SeedBlock:
    first_index: int
    customers: Customers
    orders: Orders
    items: Items
    ledger: Ledger
    # The traits JSON of each group code (the plan's profile).
    traits: tuple[str, ...] = TRAITS_JSON


def group_shares(groups: tuple[Group, ...] = GROUPS) -> F64:
    shares = np.array([g.share for g in groups], dtype=np.float64)
    result: F64 = shares / shares.sum()
    return result
