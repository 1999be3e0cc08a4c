"""Synthetic customers, orders, items and ledgers: pure and deterministic.

No database and no clock: the same `SeedPlan` (seed, sizes, `now`, program rules, stores) gives
the same data, block by block, so the writer can generate blocks in any process and any order.
Rows carry no ids: the writer assigns time-ordered ids in row order, and rows come sorted so
that this order is the order of creation (customers by signup; a customer's orders and ledger
entries by time), as if the service had written them one by one.

What is planted, for the persona work to recover (each customer's group is in its traits as
`{"seedGroup": name}`, a label for tests, never a feature): see `catalog.GROUPS`. What holds,
as the services keep it:
- every order's item prices sum to its total; points = the program's earning rule on the total;
- every order that earns points has one EARN entry (reason "order", its order, expiring
  `expire_after_days` after the purchase); referrers get an EARN "referral bonus" when the
  customer they referred signs up (and the referee a welcome bonus when the program has one);
- redemptions spend lots oldest-expiring first and never more than the balance; lots that
  reached their expiry before `now` were expired by an EXPIRE entry, as the expiry job does;
- balance = sum of entries = sum of lots' remaining; lifetime points = sum of EARN entries;
  order count, total spent, first and last order match the orders; lifecycle stage follows
  `app.lifecycle.rules.stage_for` at `now`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from app.core.identifiers import name_key
from app.seed import catalog
from app.seed.catalog import CATEGORIES, CITIES, GROUPS, TAG_SETS

if TYPE_CHECKING:
    from app.wallets.program import LoyaltyProgram

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
TRAITS_JSON = tuple(json.dumps({"seedGroup": g.name}, separators=(",", ":")) for g in GROUPS)
TAGS_JSON = tuple(json.dumps(list(t), separators=(",", ":")) for t in TAG_SETS)


def _ascii_letters(key: str) -> str:
    return "".join(ch for ch in key if "a" <= ch <= "z")


_FIRST_LOCAL = tuple(_ascii_letters(k) for k in FIRST_KEYS)
_LAST_LOCAL = tuple(_ascii_letters(k) for k in LAST_KEYS)


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

    def __post_init__(self) -> None:
        if self.customers < 0 or self.orders_per_customer < 0 or self.start_index < 0:
            raise ValueError("sizes must not be negative")
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not self.store_online:
            raise ValueError("at least one store is needed")

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


def generate_block(plan: SeedPlan, first_index: int, count: int) -> SeedBlock:
    """The customers [first_index, first_index + count) of the plan, with their history."""
    rng = np.random.default_rng([plan.seed & 0xFFFFFFFF, plan.seed >> 32, first_index, count])
    now_us = plan.now_us
    n = count
    n_groups = len(GROUPS)

    group = rng.choice(n_groups, size=n, p=_shares()).astype(np.int8)
    signup_lo = np.array([g.signup_days[0] for g in GROUPS], dtype=np.float64)[group]
    signup_hi = np.array([g.signup_days[1] for g in GROUPS], dtype=np.float64)[group]
    created = now_us - (rng.uniform(signup_lo, signup_hi) * US_PER_DAY).astype(np.int64)
    # Rows in signup order: referrers come before the customers they referred.
    order_of_rows = np.argsort(created, kind="stable")
    group = group[order_of_rows]
    created = created[order_of_rows]
    index = (first_index + np.arange(n, dtype=np.int64))[order_of_rows]

    customers = _people(plan, rng, index, group, created)
    orders, items = _purchases(plan, rng, group, created)
    referrer = _referrals(rng, group, created)
    customers.referrer = referrer
    ledger = _ledgers(plan, rng, customers, orders)

    _order_statistics(plan, customers, orders, ledger)
    return SeedBlock(first_index, customers, orders, items, ledger)


def _shares() -> F64:
    shares = np.array([g.share for g in GROUPS], dtype=np.float64)
    result: F64 = shares / shares.sum()
    return result


# --- people -------------------------------------------------------------------------------


def _permute(index: I64, space: int, multiplier: int, offset: int) -> I64:
    """A bijection of [0, space): distinct indexes never share an identifier."""
    if math.gcd(multiplier, space) != 1:
        raise ValueError("multiplier must be coprime with the space")
    return (index % space * multiplier + offset) % space


_NANP_LINES = len(catalog.EXCHANGES) * 10_000


def phones_for(index: I64, country: I8, missing: Bools) -> list[str | None]:
    """E.164 numbers of customers by global index (a bijection per country: no collisions)."""
    out: list[str | None] = []
    us_space = len(catalog.US_AREA_CODES) * _NANP_LINES
    ca_space = len(catalog.CA_AREA_CODES) * _NANP_LINES
    gb_space = len(catalog.GB_MOBILE_PREFIXES) * 1_000_000
    us = _permute(index, us_space, 1_000_003, 7_654_321).tolist()
    ca = _permute(index, ca_space, 1_000_003, 1_234_567).tolist()
    gb = _permute(index, gb_space, 1_000_003, 3_141_592).tolist()
    us_codes, ca_codes = catalog.US_AREA_CODES, catalog.CA_AREA_CODES
    exchanges, gb_prefixes = catalog.EXCHANGES, catalog.GB_MOBILE_PREFIXES
    n_exchanges = len(exchanges)
    for i, (c, gone) in enumerate(zip(country.tolist(), missing.tolist(), strict=True)):
        if gone:
            out.append(None)
        elif c == 2:  # GB
            p = gb[i]
            out.append(f"+44{gb_prefixes[p // 1_000_000]}{p % 1_000_000:06d}")
        else:
            p, codes = (ca[i], ca_codes) if c == 1 else (us[i], us_codes)
            area = codes[p // _NANP_LINES]
            exchange = exchanges[(p // 10_000) % n_exchanges]
            out.append(f"+1{area}{exchange}{p % 10_000:04d}")
    return out


_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _postal(city: int, draws: tuple[int, int, int, int, int]) -> str:
    spec = CITIES[city]
    a, b, c, d, e = draws
    if spec.country == "US":
        return f"{spec.postal_prefix}{a % 100:02d}"
    if spec.country == "CA":
        return f"{spec.postal_prefix}{a % 10}{_LETTERS[b % 23]} {c % 10}{_LETTERS[d % 23]}{e % 10}"
    return f"{spec.postal_prefix} {a % 10}{_LETTERS[b % 23]}{_LETTERS[c % 23]}"


def _people(
    plan: SeedPlan, rng: np.random.Generator, index: I64, group: I8, created: I64
) -> Customers:
    n = len(index)
    first = rng.integers(0, len(catalog.FIRST_NAMES), size=n).astype(np.int16)
    last = rng.integers(0, len(catalog.LAST_NAMES), size=n).astype(np.int16)

    # Places: a country, then one of its cities; some customers never said.
    country = rng.choice(len(catalog.COUNTRIES), size=n, p=catalog.COUNTRY_SHARES).astype(np.int8)
    city = np.full(n, -1, dtype=np.int16)
    for code, name in enumerate(catalog.COUNTRIES):
        options = np.array([i for i, c in enumerate(CITIES) if c.country == name])
        mask = country == code
        city[mask] = rng.choice(options, size=int(mask.sum()))
    place_draw = rng.random(n)
    city[place_draw < 0.07] = -1
    country[place_draw < 0.02] = -1
    postal_draws = rng.integers(0, 1 << 30, size=(n, 5)).tolist()
    postal_missing = (rng.random(n) < 0.12).tolist()
    postal_code: list[str | None] = [
        None if c < 0 or gone else _postal(c, tuple(d))
        for c, gone, d in zip(city.tolist(), postal_missing, postal_draws, strict=True)
    ]

    # Birthdays: an age range per group; some customers never gave one.
    age_lo = np.array([g.ages[0] for g in GROUPS], dtype=np.float64)[group]
    age_hi = np.array([g.ages[1] for g in GROUPS], dtype=np.float64)[group]
    age_days = (rng.uniform(age_lo, age_hi + 1) * 365.2425).astype(np.int64)
    today = plan.now_us // US_PER_DAY
    birthday = (today - age_days).astype(np.int32)
    has_birthday = rng.random(n) < np.array([g.birthday_share for g in GROUPS])[group]
    dates = birthday.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    monthday = (month * 100 + day).astype(np.int16)

    # Identifiers: derived from the global index, so they never collide in an organization.
    phone = phones_for(index, country, rng.random(n) < 0.06)
    style = rng.integers(0, 4, size=n).tolist()
    domain = rng.integers(0, len(catalog.EMAIL_DOMAINS), size=n).tolist()
    email_missing = (rng.random(n) < 0.05).tolist()
    email: list[str | None] = []
    for i, (f, la, s, d, gone) in enumerate(
        zip(first.tolist(), last.tolist(), style, domain, email_missing, strict=True)
    ):
        if gone:
            email.append(None)
            continue
        fl, ll = _FIRST_LOCAL[f], _LAST_LOCAL[la]
        local = (f"{fl}.{ll}", f"{fl}{ll}", f"{fl[0]}{ll}", f"{fl}_{ll}")[s]
        email.append(f"{local}{int(index[i])}@{catalog.EMAIL_DOMAINS[d]}")
    external = _permute(index, 10**9, 387_420_489, 271_828_182).tolist()
    external_reference = [f"C{e:09d}" for e in external]

    form_weights = np.array([g.signup_forms for g in GROUPS], dtype=np.float64)
    form_draw = rng.random(n)
    cumulative = np.cumsum(form_weights, axis=1)[group]
    signup_form = (form_draw[:, None] >= cumulative).sum(axis=1).astype(np.int8)
    signup_form[signup_form >= min(plan.signup_forms, cumulative.shape[1])] = -1

    zeros64 = np.zeros(n, dtype=np.int64)
    return Customers(
        index=index,
        group=group,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        external_reference=external_reference,
        birthday=birthday,
        has_birthday=has_birthday,
        birthday_monthday=monthday,
        city=city,
        country=country,
        postal_code=postal_code,
        signup_form=signup_form,
        favorite_store=np.full(n, -1, dtype=np.int16),
        referrer=np.full(n, -1, dtype=np.int32),
        created_at=created,
        updated_at=created.copy(),
        points_balance=zeros64,
        lifetime_points=zeros64.copy(),
        order_count=np.zeros(n, dtype=np.int32),
        total_spent=zeros64.copy(),
        first_order_at=zeros64.copy(),
        last_order_at=zeros64.copy(),
        lifecycle_stage=np.zeros(n, dtype=np.int8),
    )


# --- purchases ------------------------------------------------------------------------------


def _order_counts(plan: SeedPlan, rng: np.random.Generator, group: I8) -> I64:
    n = len(group)
    if plan.orders_per_customer <= 0:
        return np.zeros(n, dtype=np.int64)
    factors = np.array([g.order_factor for g in GROUPS], dtype=np.float64)
    mean_factor = float((factors * _shares()).sum())
    expected = factors[group] * plan.orders_per_customer / mean_factor
    # At least one order each; the extra orders are Poisson, so the mean stays `expected`
    # whenever it is 1 or more.
    counts: I64 = 1 + rng.poisson(np.maximum(expected - 1, 0)).astype(np.int64)
    return np.minimum(counts, MAX_ORDERS_PER_CUSTOMER)


def _home_stores(plan: SeedPlan, rng: np.random.Generator, group: I8) -> I64:
    n = len(group)
    online = np.array([i for i, o in enumerate(plan.store_online) if o], dtype=np.int64)
    physical = np.array([i for i, o in enumerate(plan.store_online) if not o], dtype=np.int64)
    if len(online) == 0:
        online = physical
    if len(physical) == 0:
        physical = online
    # Physical stores by decreasing popularity (the flagship first).
    weights = 1.0 / np.arange(1, len(physical) + 1)
    home = physical[rng.choice(len(physical), size=n, p=weights / weights.sum())]
    goes_online = rng.random(n) < np.array([g.online_share for g in GROUPS])[group]
    home[goes_online] = online[rng.integers(0, len(online), size=int(goes_online.sum()))]
    return home


def _purchases(
    plan: SeedPlan, rng: np.random.Generator, group: I8, created: I64
) -> tuple[Orders, Items]:
    n = len(group)
    now_us = plan.now_us
    counts = _order_counts(plan, rng, group)
    home = _home_stores(plan, rng, group)
    m = int(counts.sum())
    owner = np.repeat(np.arange(n, dtype=np.int32), counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    sequence = (np.arange(m, dtype=np.int64) - np.repeat(starts, counts)).astype(np.int32)

    # The window each customer buys in: after signup, within the history, and for lapsed
    # customers long before now.
    stop_days = np.array([g.last_order_days_min for g in GROUPS], dtype=np.float64)[group]
    lapsed = stop_days > 0
    stop_days = stop_days + np.where(lapsed, rng.uniform(0, 90, size=n), 0.0)
    regular = np.array([g.regular for g in GROUPS])[group]
    # Regulars were in within the last three weeks.
    stop_days = stop_days + np.where(regular, rng.uniform(0, 21, size=n), 0.0)
    window_end = now_us - (stop_days * US_PER_DAY).astype(np.int64) - 3_600 * US_PER_SECOND
    window_start = np.maximum(created, now_us - HISTORY_DAYS * US_PER_DAY)
    window_start = np.minimum(window_start, window_end - US_PER_DAY)
    span = (window_end - window_start).astype(np.float64)

    draw = rng.random(m)
    # Regulars buy at a steady pace, from their first visit to a recent one: evenly spaced
    # visits with some jitter.
    steady = (sequence + rng.uniform(-0.3, 0.3, size=m)) / np.maximum(counts[owner] - 1, 1)
    steady = np.where(counts[owner] == 1, 1.0 - 0.1 * draw, steady)
    position = np.where(regular[owner], np.clip(steady, 0.0, 1.0), draw)
    day_start = window_start[owner] + (position * span[owner]).astype(np.int64)
    day_start -= day_start % US_PER_DAY
    # Shopping hours: mostly afternoons and evenings (UTC, for a North American base).
    hour = np.clip(rng.normal(19.0, 3.5, size=m), 12.0, 27.5)
    placed = day_start + (hour * 3_600 * US_PER_SECOND).astype(np.int64)
    placed += rng.integers(0, US_PER_SECOND, size=m)
    # Keep inside the window without piling orders up on its edges.
    ws, we = window_start[owner], window_end[owner]
    placed = np.where(placed > we, placed - US_PER_DAY, placed)
    inside = ws + (rng.random(m) * np.minimum(span[owner], US_PER_DAY)).astype(np.int64)
    placed = np.where(placed < ws, inside, placed)
    placed = np.clip(placed, ws, we)
    placed = np.maximum(placed, created[owner])  # never before signup, whatever the window
    # Sorted by customer, then time.
    order = np.lexsort((placed, owner))
    placed = placed[order]

    at_home = rng.random(m) < 0.75
    store = np.where(at_home, home[owner], rng.integers(0, len(plan.store_online), size=m)).astype(
        np.int16
    )

    # Items: count, category, product, tags and price from the buyer's group.
    order_group = group[owner]
    lo = np.array([g.items_min for g in GROUPS])[order_group]
    hi = np.array([g.items_max for g in GROUPS])[order_group]
    per_order = rng.integers(lo, hi + 1)
    k = int(per_order.sum())
    item_order = np.repeat(np.arange(m, dtype=np.int32), per_order)
    item_group = order_group[item_order]
    category = np.zeros(k, dtype=np.int8)
    tag_set = np.zeros(k, dtype=np.int8)
    n_categories = len(CATEGORIES)
    for g_index, spec in enumerate(GROUPS):
        mask = item_group == g_index
        size = int(mask.sum())
        if not size:
            continue
        weights = np.full(n_categories, 0.15)
        for c, w in spec.categories:
            weights[c] = w
        category[mask] = rng.choice(n_categories, size=size, p=weights / weights.sum())
        tag_ids = np.array([t for t, _ in spec.tag_sets])
        tag_weights = np.array([w for _, w in spec.tag_sets], dtype=np.float64)
        picked = tag_ids[rng.choice(len(tag_ids), size=size, p=tag_weights / tag_weights.sum())]
        # A few items carry any tag at all: real baskets are not that tidy.
        noise = rng.random(size) < 0.12
        picked[noise] = rng.integers(0, len(TAG_SETS), size=int(noise.sum()))
        tag_set[mask] = picked
    product = (np.square(rng.random(k)) * catalog.PRODUCTS_PER_CATEGORY).astype(np.int32)
    unit_median = np.array([c.unit_cents for c in CATEGORIES], dtype=np.float64)[category]
    price_factor = np.array([g.price_factor for g in GROUPS])[item_group]
    sigma = np.array([g.price_sigma for g in GROUPS])[item_group]
    unit = unit_median * price_factor * np.exp(rng.normal(0.0, 1.0, size=k) * sigma)
    # At least $1.49 an item, so every order earns at the default rate.
    dollars = np.maximum(np.rint(unit / 100.0), 2).astype(np.int64)
    ending = rng.choice(np.array([1, 51, 0]), size=k, p=[0.7, 0.15, 0.15])
    unit_cents = dollars * 100 - ending
    quantity = rng.choice(np.array([1, 2, 3], dtype=np.int32), size=k, p=[0.85, 0.11, 0.04])
    price = unit_cents * quantity
    # Exact: sums stay far below 2**53 cents.
    totals = np.rint(np.bincount(item_order, weights=price, minlength=m)).astype(np.int64)

    orders = Orders(
        customer=owner,
        store=store,
        sequence=sequence,
        placed_at=placed,
        total=totals,
        points=plan.rules.points_for_cents(totals),
    )
    items = Items(
        order=item_order,
        category=category,
        product=product,
        tag_set=tag_set,
        quantity=quantity,
        price=price,
    )
    return orders, items


# --- referrals ------------------------------------------------------------------------------


def _referrals(rng: np.random.Generator, group: I8, created: I64) -> I32:
    """Who referred whom, within the block: a referrer signed up before the customer it
    referred; social connectors are far more likely to be the one."""
    n = len(group)
    referrer = np.full(n, -1, dtype=np.int32)
    if n < 2:
        return referrer
    weights = np.array([g.referral_weight for g in GROUPS], dtype=np.float64)[group]
    cumulative = np.cumsum(weights)
    referred = np.flatnonzero(rng.random(n) < 0.4)
    referred = referred[referred > 0]
    # Rows are in signup order, so "signed up before row j" is rows [0, j).
    draw = rng.random(len(referred)) * cumulative[referred - 1]
    chosen = np.searchsorted(cumulative, draw, side="right")
    chosen = np.minimum(chosen, referred - 1)
    keep = created[chosen] < created[referred]
    referrer[referred[keep]] = chosen[keep]
    return referrer


# --- ledgers --------------------------------------------------------------------------------


class _LedgerBuffer:
    __slots__ = (
        "balance_after",
        "created_at",
        "customer",
        "expires_at",
        "key_kind",
        "key_ref",
        "kind",
        "order",
        "points",
        "reason",
        "remaining",
    )

    def __init__(self) -> None:
        self.customer: list[int] = []
        self.kind: list[int] = []
        self.points: list[int] = []
        self.reason: list[int] = []
        self.order: list[int] = []
        self.key_kind: list[int] = []
        self.key_ref: list[int] = []
        self.expires_at: list[int] = []
        self.remaining: list[int] = []
        self.balance_after: list[int] = []
        self.created_at: list[int] = []

    def freeze(self) -> Ledger:
        return Ledger(
            customer=np.array(self.customer, dtype=np.int32),
            kind=np.array(self.kind, dtype=np.int8),
            points=np.array(self.points, dtype=np.int64),
            reason=np.array(self.reason, dtype=np.int8),
            order=np.array(self.order, dtype=np.int32),
            key_kind=np.array(self.key_kind, dtype=np.int8),
            key_ref=np.array(self.key_ref, dtype=np.int32),
            expires_at=np.array(self.expires_at, dtype=np.int64),
            remaining=np.array(self.remaining, dtype=np.int64),
            balance_after=np.array(self.balance_after, dtype=np.int64),
            created_at=np.array(self.created_at, dtype=np.int64),
        )


def _ledgers(plan: SeedPlan, rng: np.random.Generator, people: Customers, orders: Orders) -> Ledger:
    """Replay each customer's history through the rules of `app.wallets.ledger`.

    Lots are spent and expired oldest-expiring first; every lot lives `expire_after_days`, so
    that is also creation order and the open lots of a customer form a queue.
    """
    rules = plan.rules
    n = len(people)
    m = len(orders)
    now_us = plan.now_us
    life_us = rules.expire_after_days * US_PER_DAY if rules.expire_after_days else None

    group = people.group
    chance = np.array([g.redeem_chance for g in GROUPS])[group[orders.customer]]
    redeems = (rng.random(m) < chance).tolist()
    share_min = np.array([g.redeem_share_min for g in GROUPS])[group[orders.customer]]
    share = rng.uniform(share_min, 1.0).tolist()
    step_of = [g.redeem_step for g in GROUPS]
    # A redemption happens at the till right after the purchase (before the next one).
    placed = orders.placed_at
    gap = np.full(m, 60 * US_PER_SECOND, dtype=np.int64)
    if m > 1:
        same = orders.customer[1:] == orders.customer[:-1]
        gap[:-1] = np.where(same, np.minimum((placed[1:] - placed[:-1]) // 2, gap[:-1]), gap[:-1])
    redeem_at = (placed + np.maximum(gap, 1)).tolist()
    placed_l = placed.tolist()
    points_l = orders.points.tolist()
    order_bounds = np.searchsorted(orders.customer, np.arange(n + 1)).tolist()

    # Referral bonuses of each referrer, in the signup order of the customers they referred.
    referrer = people.referrer
    referred_rows = np.flatnonzero(referrer >= 0)
    by_referrer = referred_rows[np.argsort(referrer[referred_rows], kind="stable")]
    ref_bounds = np.searchsorted(referrer[by_referrer], np.arange(n + 1)).tolist()
    by_referrer_l = by_referrer.tolist()
    created_l = people.created_at.tolist()
    referrer_l = referrer.tolist()
    group_l = group.tolist()

    out = _LedgerBuffer()
    c_customer, c_kind, c_points, c_reason = out.customer, out.kind, out.points, out.reason
    c_order, c_key_kind, c_key_ref = out.order, out.key_kind, out.key_ref
    c_expires, c_remaining, c_balance, c_created = (
        out.expires_at,
        out.remaining,
        out.balance_after,
        out.created_at,
    )
    referral_bonus, welcome_bonus = rules.referral_bonus, rules.referee_bonus
    balances = [0] * n
    lifetimes = [0] * n

    for c in range(n):
        # Lots: ledger row, expiry, remaining; `head` is the oldest lot still open.
        lot_row: list[int] = []
        lot_expiry: list[int] = []
        lot_left: list[int] = []
        head = 0
        balance = 0
        lifetime = 0

        # Credits in time order: (time, what, reference). 0 = order, 1 = referral, 2 = welcome.
        events: list[tuple[int, int, int]] = [
            (placed_l[o], 0, o) for o in range(order_bounds[c], order_bounds[c + 1])
        ]
        lo, hi = ref_bounds[c], ref_bounds[c + 1]
        if lo < hi and referral_bonus > 0:
            events.extend((created_l[r], 1, r) for r in by_referrer_l[lo:hi])
        if welcome_bonus > 0 and referrer_l[c] >= 0:
            events.append((created_l[c], 2, c))
        if lo < hi or len(events) > order_bounds[c + 1] - order_bounds[c]:
            events.sort()
        events.append((now_us, 3, -1))  # the end: expire what is due

        for when, what, ref in events:
            if life_us is not None:
                while head < len(lot_row) and lot_expiry[head] <= when:
                    left = lot_left[head]
                    if left > 0:
                        balance -= left
                        lot_left[head] = 0
                        c_customer.append(c)
                        c_kind.append(EXPIRE)
                        c_points.append(-left)
                        c_reason.append(R_EXPIRED)
                        c_order.append(-1)
                        c_key_kind.append(K_EXPIRE)
                        c_key_ref.append(lot_row[head])
                        c_expires.append(-1)
                        c_remaining.append(0)
                        c_balance.append(balance)
                        c_created.append(lot_expiry[head])
                    head += 1
            if what == 3:
                break
            if what == 0:
                points = points_l[ref]
                reason, key_kind, order_row = R_ORDER, K_ORDER, ref
            elif what == 1:
                points, reason, key_kind, order_row = referral_bonus, R_REFERRAL, K_REFERRAL, -1
            else:
                points, reason, key_kind, order_row = welcome_bonus, R_WELCOME, K_REFEREE, -1
            if points > 0:
                row = len(c_customer)
                balance += points
                lifetime += points
                expiry = when + life_us if life_us is not None else -1
                c_customer.append(c)
                c_kind.append(EARN)
                c_points.append(points)
                c_reason.append(reason)
                c_order.append(order_row)
                c_key_kind.append(key_kind)
                c_key_ref.append(ref)
                c_expires.append(expiry)
                c_remaining.append(points)  # the final value is written below
                c_balance.append(balance)
                c_created.append(when)
                lot_row.append(row)
                lot_expiry.append(expiry)
                lot_left.append(points)
            if what != 0 or not redeems[ref]:
                continue
            step = step_of[group_l[c]]
            if balance < step:
                continue
            spend = step * int(balance * share[ref] // step)
            if spend < step:
                continue
            at = redeem_at[ref]
            if life_us is not None and lot_expiry[head] <= at:
                continue  # a lot expires in between: skip this one rather than reorder
            balance -= spend
            left_to_take = spend
            i = head
            while left_to_take:
                take = min(lot_left[i], left_to_take)
                lot_left[i] -= take
                left_to_take -= take
                i += 1
            row = len(c_customer)
            c_customer.append(c)
            c_kind.append(REDEEM)
            c_points.append(-spend)
            c_reason.append(R_REDEEM)
            c_order.append(-1)
            c_key_kind.append(K_REDEEM)
            c_key_ref.append(row)
            c_expires.append(-1)
            c_remaining.append(0)
            c_balance.append(balance)
            c_created.append(at)

        for row, left in zip(lot_row, lot_left, strict=True):
            c_remaining[row] = left
        balances[c] = balance
        lifetimes[c] = lifetime

    people.points_balance = np.array(balances, dtype=np.int64)
    people.lifetime_points = np.array(lifetimes, dtype=np.int64)
    return out.freeze()


def _order_statistics(plan: SeedPlan, people: Customers, orders: Orders, ledger: Ledger) -> None:
    n = len(people)
    counts = np.bincount(orders.customer, minlength=n).astype(np.int32)
    spent = np.rint(np.bincount(orders.customer, weights=orders.total, minlength=n))
    bounds = np.searchsorted(orders.customer, np.arange(n + 1))
    has = counts > 0
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    first[has] = orders.placed_at[bounds[:-1][has]]
    last[has] = orders.placed_at[bounds[1:][has] - 1]
    people.order_count = counts
    people.total_spent = spent.astype(np.int64)
    people.first_order_at = first
    people.last_order_at = last

    # Favorite store from purchase history: the store of most of the customer's orders.
    favorite = np.full(n, -1, dtype=np.int16)
    if len(orders):
        n_stores = len(plan.store_online)
        tally = np.zeros((n, n_stores), dtype=np.int32)
        np.add.at(tally, (orders.customer, orders.store), 1)
        favorite[has] = tally[has].argmax(axis=1)
    people.favorite_store = favorite

    # Last write to the row: signup, the last order or the last wallet movement.
    updated = people.created_at.copy()
    np.maximum.at(updated, orders.customer, orders.placed_at)
    np.maximum.at(updated, ledger.customer, ledger.created_at)
    people.updated_at = updated

    rules = plan.rules
    age = plan.now_us - last
    stage = np.full(n, S_ACTIVE, dtype=np.int8)
    stage[counts == 1] = S_ONE_TIME
    stage[age > rules.at_risk_after_days * US_PER_DAY] = S_AT_RISK
    stage[age > rules.lost_after_days * US_PER_DAY] = S_LOST
    stage[~has] = S_MEMBER
    people.lifecycle_stage = stage
