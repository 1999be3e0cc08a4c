"""Synthetic people: names, emails, phones, birthdays and addresses, distinct per index."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from app.seed import catalog
from app.seed.catalog import CITIES
from app.seed.plan import (
    FIRST_LOCAL,
    I8,
    I64,
    LAST_LOCAL,
    US_PER_DAY,
    Bools,
    Customers,
    SeedPlan,
)

if TYPE_CHECKING:
    pass


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


def people(
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
    if not plan.kind.places:
        city[:] = -1
        country[:] = -1
    postal_draws = rng.integers(0, 1 << 30, size=(n, 5)).tolist()
    postal_missing = (rng.random(n) < 0.12).tolist()
    postal_code: list[str | None] = [
        None if c < 0 or gone else _postal(c, tuple(d))
        for c, gone, d in zip(city.tolist(), postal_missing, postal_draws, strict=True)
    ]

    # Birthdays: an age range per group; some customers never gave one.
    groups = plan.groups
    age_lo = np.array([g.ages[0] for g in groups], dtype=np.float64)[group]
    age_hi = np.array([g.ages[1] for g in groups], dtype=np.float64)[group]
    age_days = (rng.uniform(age_lo, age_hi + 1) * 365.2425).astype(np.int64)
    today = plan.now_us // US_PER_DAY
    birthday = (today - age_days).astype(np.int32)
    has_birthday = rng.random(n) < np.array([g.birthday_share for g in groups])[group]
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
        fl, ll = FIRST_LOCAL[f], LAST_LOCAL[la]
        local = (f"{fl}.{ll}", f"{fl}{ll}", f"{fl[0]}{ll}", f"{fl}_{ll}")[s]
        email.append(f"{local}{int(index[i])}@{catalog.EMAIL_DOMAINS[d]}")
    external = _permute(index, 10**9, 387_420_489, 271_828_182).tolist()
    external_reference = [f"C{e:09d}" for e in external]

    form_weights = np.array([g.signup_forms for g in groups], dtype=np.float64)
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
