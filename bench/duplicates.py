"""Duplicate suggestions end to end on PostgreSQL, against Splink (DuckDB) on the same records.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/duplicates.py --customers 5000      # seconds
    .venv/bin/python bench/duplicates.py --customers 200000

1. Generates people and planted duplicates deterministically from `--seed`: typos in names,
   nicknames (Bob/Robert), first and last names swapped, one email in several spellings
   (case, gmail dots, +tags), phones in several national and international formats, missing
   and mistyped birthdays, moves to another postal code; households (a different person with
   the same last name, phone or email and postal code: not duplicates); store phones and
   `noemail@` addresses typed for walk-ins (placeholders shared by many customers).
2. Writes them, normalized as the API and imports do, into the `customer` table of a fresh
   PostgreSQL database (`--database`, dropped at the end) made by `app.db.migrate`, with COPY.
   Planted duplicates share identifiers and store phones are shared by many live customers,
   which the schema's unique constraints per organization on email, phone and external
   reference forbid today: the bench drops those constraints in its own database, so the
   engine sees what a base imported without them (or a future relaxed schema) holds.
3. Ours: the recompute job's own path (`app.merges.suggestion_service.recompute_suggestions`,
   what the `refresh_duplicate_suggestions` worker job calls): the store phones put on the
   organization's placeholder list, the active customers read in one query, scored, and the
   suggestions and placeholders written in one transaction; the stored suggestions (groups)
   are read back and every pair within a group counts as a suggested pair.
   Splink: reads the same rows into DuckDB and runs a Fellegi-Sunter model (u by random
   sampling, m by EM on two blocking rules, the prior from deterministic rules) with blocking
   rules and comparisons chosen for these fields, predicting at match probability >= 0.5.
   Each runs in its own child process, so its peak RSS is its own.

Prints pairwise precision, recall and F1 against the planted truth, wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import multiprocessing
import random
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal  # noqa: E402
from app.core.identifiers import (  # noqa: E402
    InvalidIdentifier,
    name_key,
    normalize_email,
    normalize_phone,
)
from app.db import close_db, init_db, migrate  # noqa: E402
from app.merges.placeholder_settings import DEFAULT_PLACEHOLDER_VALUES  # noqa: E402
from app.merges.records import IdentifierKind  # noqa: E402
from app.merges.suggestion_service import (  # noqa: E402
    recompute_suggestions,
    update_placeholder_settings,
)
from app.models.duplicates import DuplicateSuggestion, PlaceholderIdentifier  # noqa: E402
from app.models.organization import Organization  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
FIRST = [
    "Robert",
    "William",
    "Richard",
    "James",
    "John",
    "Joseph",
    "Michael",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "David",
    "Edward",
    "Anthony",
    "Andrew",
    "Matthew",
    "Nicholas",
    "Steven",
    "Benjamin",
    "Alexander",
    "Samuel",
    "Patrick",
    "Timothy",
    "Gregory",
    "Peter",
    "Henry",
    "Lawrence",
    "Raymond",
    "Ronald",
    "Kenneth",
    "Elizabeth",
    "Margaret",
    "Katherine",
    "Jennifer",
    "Patricia",
    "Susan",
    "Deborah",
    "Barbara",
    "Jessica",
    "Rebecca",
    "Victoria",
    "Christine",
    "Kimberly",
    "Abigail",
    "Dorothy",
    "Theresa",
    "Pamela",
    "Cynthia",
    "Sarah",
    "Mary",
    "Judith",
    "Nancy",
    "Frances",
    "Josephine",
    "Eleanor",
    "Aiko",
    "Mei",
    "Luis",
    "Ana",
    "Chloé",
    "Zoë",
    "José",
    "Renée",
    "Noah",
    "Liam",
    "Olivia",
    "Emma",
    "Ava",
    "Sophia",
    "Isabella",
    "Mia",
    "Amelia",
    "Harper",
    "Evelyn",
    "Lucas",
    "Mason",
    "Ethan",
    "Logan",
    "Oliver",
    "Elijah",
    "Aiden",
    "Jackson",
    "Sebastian",
    "Mateo",
    "Jayden",
    "Leo",
    "Grace",
    "Nora",
    "Hazel",
    "Aurora",
    "Violet",
    "Stella",
    "Maya",
    "Priya",
    "Arjun",
    "Ravi",
    "Fatima",
    "Omar",
    "Yusuf",
    "Leila",
    "Ingrid",
    "Sven",
    "Kofi",
]
NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"],
    "William": ["Bill", "Will"],
    "Richard": ["Rick", "Dick"],
    "James": ["Jim", "Jimmy"],
    "John": ["Jack", "Johnny"],
    "Joseph": ["Joe"],
    "Michael": ["Mike"],
    "Thomas": ["Tom"],
    "Charles": ["Charlie", "Chuck"],
    "Christopher": ["Chris"],
    "Daniel": ["Dan", "Danny"],
    "David": ["Dave"],
    "Edward": ["Ed", "Ted"],
    "Anthony": ["Tony"],
    "Andrew": ["Andy", "Drew"],
    "Matthew": ["Matt"],
    "Elizabeth": ["Liz", "Beth", "Betty"],
    "Margaret": ["Maggie", "Peggy"],
    "Katherine": ["Kate", "Katie"],
    "Jennifer": ["Jen", "Jenny"],
    "Patricia": ["Patty", "Trish"],
    "Susan": ["Sue"],
    "Rebecca": ["Becky"],
}
LAST_STEMS = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernández",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Okonkwo",
    "Kowalski",
    "Nakamura",
    "Schmidt",
    "Müller",
    "Rossi",
    "Dubois",
    "Silva",
    "Kim",
    "Park",
    "Chen",
    "Wang",
    "Patel",
    "Singh",
    "Novak",
    "Horvat",
]
SUFFIXES = ["", "", "", "son", "ford", "ley", "ton", "berg", "man", "well", "wood", "field"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "acme.io"]
AREAS = [201, 202, 212, 213, 305, 312, 415, 503, 617, 646, 702, 718, 773, 801, 917, 919]
STORE_PHONES = ["+12025550143", "+13125550188", "+14155550101", "+16175550123", "+17025550166"]


@dataclass
class Person:
    first: str
    last: str
    email: str | None
    phone: str | None
    external_reference: str | None
    birthday: dt.date | None
    postal_code: str | None


def _phone_digits(rng: random.Random) -> str:
    return f"{rng.choice(AREAS)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def _phone_format(digits: str, rng: random.Random) -> str:
    area, mid, last = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        [
            f"({area}) {mid}-{last}",
            f"+1 {area}-{mid}-{last}",
            f"{area}.{mid}.{last}",
            f"{area}{mid}{last}",
            f"1-{area}-{mid}-{last}",
            f"+1{area}{mid}{last}",
        ]
    )


def _email_variant(email: str, rng: random.Random) -> str:
    local, domain = email.split("@")
    roll = rng.random()
    if roll < 0.3:
        return email.upper()
    if roll < 0.5 and domain == "gmail.com":
        return f"{local.replace('.', '')}@{domain}"
    if roll < 0.7:
        return f"{local}+shop@{domain}"
    return email.title()


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def _person(n: int, rng: random.Random, postal_codes: list[str]) -> Person:
    first = rng.choice(FIRST)
    last = rng.choice(LAST_STEMS) + rng.choice(SUFFIXES)
    email = None
    if rng.random() < 0.7:
        sep = rng.choice([".", "", "_"])
        email = f"{name_key(first)}{sep}{name_key(last)}{n}@{rng.choice(DOMAINS)}"
        email = email.replace("é", "e").replace("ë", "e").replace("ü", "u").replace("á", "a")
    return Person(
        first=first,
        last=last,
        email=email,
        phone=_phone_digits(rng) if rng.random() < 0.75 else None,
        external_reference=f"ext-{n:08d}" if rng.random() < 0.4 else None,
        birthday=(
            dt.date(rng.randint(1945, 2006), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.8
            else None
        ),
        postal_code=rng.choice(postal_codes) if rng.random() < 0.85 else None,
    )


def _duplicate(person: Person, rng: random.Random, postal_codes: list[str]) -> Person:
    first, last = person.first, person.last
    roll = rng.random()
    if roll < 0.25 and first in NICKNAMES:
        first = rng.choice(NICKNAMES[first])
    elif roll < 0.45:
        first = _typo(first, rng)
    elif roll < 0.65:
        last = _typo(last, rng)
    elif roll < 0.75:
        first, last = last, first
    shared = rng.random()
    email = phone = ref = None
    if shared < 0.35 and person.email:
        email = _email_variant(person.email, rng)
    elif shared < 0.65 and person.phone:
        phone = person.phone
    elif shared < 0.75 and person.external_reference:
        ref = person.external_reference
    # The other identifiers are the duplicate's own (a second address, a new phone), or none.
    if email is None and rng.random() < 0.4:
        email = f"{name_key(last).replace(' ', '')}.{rng.randrange(10**6)}@{rng.choice(DOMAINS)}"
    if phone is None and rng.random() < 0.4:
        phone = _phone_digits(rng)
    birthday = person.birthday
    if birthday is not None and rng.random() < 0.3:
        birthday = None
    elif birthday is not None and rng.random() < 0.07:
        birthday = birthday.replace(day=min(28, birthday.day % 28 + 1))
    postal = person.postal_code if rng.random() < 0.8 else None
    if postal is not None and rng.random() < 0.1:
        postal = rng.choice(postal_codes)
    return Person(first, last, email, phone, ref, birthday, postal)


def _household(person: Person, n: int, rng: random.Random) -> Person:
    other = rng.choice(FIRST)
    while other == person.first:
        other = rng.choice(FIRST)
    return Person(
        first=other,
        last=person.last,
        email=person.email if rng.random() < 0.3 else None,
        phone=person.phone if rng.random() < 0.8 else None,
        external_reference=None,
        birthday=dt.date(rng.randint(1945, 2006), rng.randint(1, 12), rng.randint(1, 28)),
        postal_code=person.postal_code,
    )


def generate(customers: int, seed: int) -> tuple[list[tuple[int, Person]], int]:
    """Records as (person number, raw person), in a shuffled order, and the planted pair count."""
    rng = random.Random(seed)
    postal_codes = [f"{rng.randint(10000, 99999)}" for _ in range(max(50, customers // 80))]
    records: list[tuple[int, Person]] = []
    n = 0
    while len(records) < customers:
        person = _person(n, rng, postal_codes)
        roll = rng.random()
        if roll < 0.03:  # a walk-in: the store's phone and a throwaway address
            person.phone = rng.choice(STORE_PHONES)
            person.email = rng.choice(["noemail@acme.io", "none@acme.io", None])
        records.append((n, person))
        if roll < 0.08:
            for _ in range(1 if rng.random() < 0.85 else 2):
                records.append((n, _duplicate(person, rng, postal_codes)))
        elif roll < 0.11:
            records.append((-n - 1, _household(person, n, rng)))
        n += 1
    records = records[:customers]
    rng.shuffle(records)
    members: dict[int, int] = {}
    for key, _ in records:
        members[key] = members.get(key, 0) + 1
    planted = sum(k * (k - 1) // 2 for key, k in members.items() if key >= 0)
    return records, planted


def _normalized(person: Person, rng: random.Random) -> dict[str, Any]:
    """What the API or an import stores: raw formats in, normalized identifiers out."""
    email = phone = None
    if person.email:
        try:
            email = normalize_email(
                _email_variant(person.email, rng) if rng.random() < 0.3 else person.email
            )
        except InvalidIdentifier:
            email = None
    if person.phone:
        digits = person.phone.removeprefix("+1")
        try:
            phone = normalize_phone(_phone_format(digits, rng), "US")
        except InvalidIdentifier:
            phone = None
    return {
        "email": email,
        "phone": phone,
        "external_reference": person.external_reference,
        "first_name": person.first,
        "last_name": person.last,
        "birthday": person.birthday,
        "postal_code": person.postal_code,
    }


COLUMNS = [
    "id",
    "organization_id",
    "status",
    "email",
    "phone",
    "external_reference",
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "birthday",
    "birthday_monthday",
    "postal_code",
    "traits",
    "loyalty_enrolled",
    "email_opt_in",
    "sms_state",
    "push_opt_in",
    "points_balance",
    "lifetime_points",
    "order_count",
    "total_spent",
    "lifecycle_stage",
    "created_at",
    "updated_at",
]


async def write(database_url: str, customers: int, seed: int) -> tuple[dict[str, int], int]:
    """Seeds the database; returns person number by customer id (as text) and the planted pairs."""
    records, planted = generate(customers, seed)
    await migrate(database_url)
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    rng = random.Random(seed + 1)
    truth: dict[str, int] = {}
    try:
        for constraint in await conn.fetch(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'customer'::regclass"
            " AND contype = 'u' AND pg_get_constraintdef(oid) ~ '(phone|email|external_reference)'"
        ):
            await conn.execute(f'ALTER TABLE customer DROP CONSTRAINT "{constraint[0]}"')
        org = await conn.fetchval(
            "INSERT INTO organization (id, name, default_region, timezone, settings, created_at,"
            " updated_at) VALUES (gen_random_uuid(), 'Bench', 'US', 'UTC', '{}', now(), now())"
            " RETURNING id"
        )
        now = dt.datetime.now(dt.UTC)
        rows = []
        for key, person in records:
            values = _normalized(person, rng)
            customer_id = uuid.uuid4()
            truth[str(customer_id)] = key
            birthday = values["birthday"]
            rows.append(
                (
                    customer_id, org, "ACTIVE", values["email"], values["phone"],
                    values["external_reference"], values["first_name"], values["last_name"],
                    name_key(values["first_name"]), name_key(values["last_name"]), birthday,
                    birthday.month * 100 + birthday.day if birthday else None,
                    values["postal_code"], "{}", True, False, "NOT_SUBSCRIBED", False, 0, 0, 0,
                    0, "MEMBER", now, now,
                )
            )  # fmt: skip
        await conn.copy_records_to_table("customer", records=rows, columns=COLUMNS)
    finally:
        await conn.close()
    return truth, planted


SELECT = (
    "SELECT id::text, first_name, last_name, email, phone, external_reference, birthday,"
    " postal_code FROM customer WHERE status = 'ACTIVE' ORDER BY id"
)


async def _read_rows(database_url: str) -> Iterator[asyncpg.Record]:
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        return iter(await conn.fetch(SELECT))
    finally:
        await conn.close()


async def _ours(database_url: str) -> list[tuple[str, str]]:
    await init_db(database_url)
    try:
        org = await Organization.first()
        assert org is not None
        system = Principal.system(org.id)
        listed = [(v.kind, v.value) for v in DEFAULT_PLACEHOLDER_VALUES]
        listed += [(IdentifierKind.PHONE, phone) for phone in STORE_PHONES]
        await update_placeholder_settings(system, listed, None)
        counts = await recompute_suggestions(system)
        groups = await DuplicateSuggestion.filter(organization_id=org.id).values_list(
            "customer_ids", flat=True
        )
        placeholders = await PlaceholderIdentifier.filter(organization_id=org.id).values_list(
            "kind", "customer_count", "source"
        )
    finally:
        await close_db()
    print(
        f"  ours: {counts.compared_pairs} pairs compared, {counts.suggestions} suggestions"
        f" stored; placeholders: {[(str(k), n, str(s)) for k, n, s in placeholders]}"
    )
    return [
        (a, b)
        for ids in groups
        for a, b in itertools.combinations(ids, 2)  # type: ignore[arg-type]
    ]


def run_ours(database_url: str) -> list[tuple[str, str]]:
    return asyncio.run(_ours(database_url))


def run_splink(database_url: str) -> list[tuple[str, str]]:
    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = list(asyncio.run(_read_rows(database_url)))
    columns = [
        "unique_id", "first_name", "last_name", "email", "phone", "external_reference",
        "birthday", "postal_code",
    ]  # fmt: skip
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(columns)})
    del rows
    con = duckdb.connect()
    # The same normalization of names as ours gets (case, spaces); identifiers arrive
    # normalized from the database for both.
    con.register("raw", table)
    con.execute(
        "CREATE TABLE customers AS SELECT unique_id, lower(trim(first_name)) AS first_name,"
        " lower(trim(last_name)) AS last_name, email, phone, external_reference,"
        " birthday, postal_code FROM raw"
    )
    db_api = DuckDBAPI(con)
    df = db_api.register("customers")
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("external_reference"),
            block_on("birthday", "substr(last_name, 1, 2)"),
            block_on("birthday", "substr(first_name, 1, 2)"),
            block_on("postal_code", "substr(last_name, 1, 2)"),
            block_on("postal_code", "substr(first_name, 1, 2)"),
        ],
        comparisons=[
            cl.ForenameSurnameComparison("first_name", "last_name"),
            cl.DateOfBirthComparison("birthday", input_is_string=False),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("external_reference"),
            cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(df, settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone"), block_on("first_name", "last_name", "birthday")],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birthday"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postal_code", "last_name"), record_sample_proportion=1.0
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    result = predictions.as_pyarrow_table()
    left = result.column("unique_id_l").to_pylist()
    right = result.column("unique_id_r").to_pylist()
    print(f"  splink: {len(left)} pairs at match probability >= 0.5")
    return list(zip(left, right, strict=True))


def _child(name: str, database_url: str, out: Any) -> None:
    started = time.perf_counter()
    pairs = run_ours(database_url) if name == "ours" else run_splink(database_url)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send(json.dumps({"pairs": pairs, "seconds": elapsed, "peak_mb": peak}))
    out.close()


def measure(name: str, database_url: str) -> dict[str, Any]:
    parent, child = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=_child, args=(name, database_url, child)
    )
    process.start()
    result: dict[str, Any] = json.loads(parent.recv())
    process.join()
    return result


def evaluate(pairs: list[list[str]], truth: dict[str, int], planted: int) -> tuple[float, ...]:
    found = {tuple(sorted(pair)) for pair in pairs}
    right = sum(1 for a, b in found if truth[a] == truth[b] and truth[a] >= 0)
    precision = right / len(found) if found else 0.0
    recall = right / planted if planted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--database", default="loyalty_bench_duplicates")
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args()
    database_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{args.database}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{args.database}"'))
    try:
        started = time.perf_counter()
        truth, planted = asyncio.run(write(database_url, args.customers, args.seed))
        print(
            f"{args.customers} customers, {planted} planted duplicate pairs;"
            f" written in {time.perf_counter() - started:.1f} s"
        )
        engines = ["ours"] if args.no_splink else ["ours", "splink"]
        print(f"{'engine':8} {'precision':>9} {'recall':>7} {'F1':>6} {'time s':>7} {'peak MB':>8}")
        for name in engines:
            result = measure(name, database_url)
            precision, recall, f1 = evaluate(result["pairs"], truth, planted)
            print(
                f"{name:8} {precision:9.3f} {recall:7.3f} {f1:6.3f}"
                f" {result['seconds']:7.1f} {result['peak_mb']:8.0f}"
            )
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
