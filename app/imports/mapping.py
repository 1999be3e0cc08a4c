"""Which column of a file feeds which field: automatic from common header names, or explicit.

Header names are compared folded (accents, case, spaces and punctuation removed), so `E-mail`,
`Email Address` and `EMAIL` all land on `email`. An explicit mapping wins over the automatic
one; a column no field claims is ignored, or becomes a trait keyed by its header when asked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from app.core.errors import DomainError
from app.core.identifiers import looks_like_phone
from app.imports.errors import ImportErrorCode as Code
from app.models.imports import ImportKind

TRAIT_PREFIX = "traits."
MAX_TRAIT_KEY = 100
MAX_COLUMNS = 500

CUSTOMER_FIELDS: dict[str, tuple[str, ...]] = {
    "externalReference": (
        "externalreference",
        "externalref",
        "externalid",
        "customerid",
        "customernumber",
        "customerno",
        "customerref",
        "clientid",
        "clientnumber",
        "userid",
        "memberid",
        "membernumber",
        "loyaltyid",
        "loyaltynumber",
        "crmid",
        "id",
        "ref",
        "reference",
    ),
    "email": (
        "email",
        "emailaddress",
        "mail",
        "mailaddress",
        "courriel",
        "emailadresse",
        "correo",
        "correoelectronico",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "phoneno",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "mobileno",
        "cell",
        "cellphone",
        "cellnumber",
        "telephone",
        "telephonenumber",
        "tel",
        "msisdn",
        "smsnumber",
        "contactnumber",
        "telefon",
        "telefono",
        "portable",
    ),
    "firstName": ("firstname", "givenname", "forename", "first", "prenom", "vorname", "nombre"),
    "lastName": ("lastname", "surname", "familyname", "last", "nom", "nachname", "apellido"),
    "fullName": ("name", "fullname", "customername", "contactname", "membername"),
    "birthday": ("birthday", "birthdate", "dateofbirth", "dob", "bday", "geburtsdatum"),
    "city": ("city", "town", "ville", "locality", "stadt", "ciudad"),
    "region": ("region", "state", "province", "county", "stateprovince", "provincestate"),
    "postalCode": ("postalcode", "postcode", "zip", "zipcode", "plz", "codepostal", "cp"),
    "country": ("country", "countrycode", "pays", "land"),
    "emailOptIn": (
        "emailoptin",
        "emailconsent",
        "emailsubscribed",
        "emailmarketing",
        "acceptsemailmarketing",
        "acceptemailmarketing",
        "acceptsmarketing",
        "marketingemail",
        "newsletter",
    ),
    "smsOptIn": (
        "smsoptin",
        "smsconsent",
        "smssubscribed",
        "smsmarketing",
        "acceptssmsmarketing",
        "acceptsmsmarketing",
        "textoptin",
    ),
    "loyaltyEnrolled": ("loyaltyenrolled", "enrolled", "loyaltymember", "member"),
    "favoriteStore": (
        "favoritestore",
        "favouritestore",
        "favoritestorecode",
        "homestore",
        "preferredstore",
        "storecode",
        "store",
    ),
}

ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    "customerExternalReference": (
        "customerexternalreference",
        "externalreference",
        "externalid",
        "customerid",
        "customerref",
        "customernumber",
        "customerno",
        "memberid",
        "membernumber",
        "loyaltyid",
        "userid",
        "clientid",
    ),
    "customerEmail": ("customeremail", "email", "emailaddress"),
    "customerPhone": ("customerphone", "phone", "phonenumber", "mobile", "mobilenumber"),
    "customerId": ("loyaltycustomerid",),
    "receiptNumber": (
        "receiptnumber",
        "receipt",
        "receiptno",
        "receiptid",
        "ordernumber",
        "orderno",
        "orderid",
        "order",
        "transactionid",
        "transactionnumber",
        "invoicenumber",
        "invoice",
        "ticket",
    ),
    "placedAt": (
        "placedat",
        "date",
        "orderdate",
        "purchasedate",
        "purchasedat",
        "transactiondate",
        "createdat",
        "datetime",
        "timestamp",
    ),
    "store": ("store", "storecode", "storeid", "location", "shop", "shopcode"),
    "total": ("total", "amount", "ordertotal", "totalamount", "grandtotal", "revenue", "value"),
    "categories": ("categories", "category", "productcategory", "productcategories", "department"),
    "tags": ("tags", "tag", "labels", "producttags"),
    "units": ("units", "quantity", "qty", "unitcount", "numberofunits", "itemcount"),
}

IDENTIFIER_FIELDS: dict[ImportKind, frozenset[str]] = {
    ImportKind.CUSTOMERS: frozenset({"externalReference", "email", "phone"}),
    ImportKind.ORDERS: frozenset(
        {"customerExternalReference", "customerEmail", "customerPhone", "customerId"}
    ),
}
REQUIRED_FIELDS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: (),
    ImportKind.ORDERS: ("receiptNumber", "placedAt", "total"),
}


def catalog(kind: ImportKind) -> dict[str, tuple[str, ...]]:
    return CUSTOMER_FIELDS if kind is ImportKind.CUSTOMERS else ORDER_FIELDS


def _synonyms(kind: ImportKind) -> dict[str, str]:
    return {alias: name for name, aliases in catalog(kind).items() for alias in aliases}


_SYNONYMS = {kind: _synonyms(kind) for kind in ImportKind}


def header_key(header: str) -> str:
    """`E-mail Address` -> `emailaddress`: accents, case, spaces and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", header)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


def auto_field(kind: ImportKind, header: str) -> str | None:
    return _SYNONYMS[kind].get(header_key(header))


def is_trait(target: str) -> bool:
    return target.startswith(TRAIT_PREFIX)


def trait_key(target: str) -> str:
    return target[len(TRAIT_PREFIX) :]


def _valid_target(kind: ImportKind, target: str) -> bool:
    if is_trait(target):
        key = trait_key(target).strip()
        return kind is ImportKind.CUSTOMERS and 0 < len(key) <= MAX_TRAIT_KEY
    return target in catalog(kind)


@dataclass(frozen=True)
class ColumnPlan:
    """The resolved mapping of one file: what each column index feeds."""

    kind: ImportKind
    headers: tuple[str, ...]
    # (column index, field) for core fields, in column order.
    fields: tuple[tuple[int, str], ...]
    # (column index, trait key).
    traits: tuple[tuple[int, str], ...]

    @property
    def width(self) -> int:
        return len(self.headers)

    def column_of(self, target: str) -> str | None:
        """The header feeding a field, for naming it in row errors."""
        for index, name in self.fields:
            if name == target:
                return self.headers[index]
        return None

    def to_json(self) -> list[dict[str, Any]]:
        targets: dict[int, str] = dict(self.fields)
        targets.update({i: TRAIT_PREFIX + k for i, k in self.traits})
        return [{"column": h, "field": targets.get(i)} for i, h in enumerate(self.headers)]

    @classmethod
    def from_json(cls, kind: ImportKind, raw: list[dict[str, Any]]) -> ColumnPlan:
        headers = tuple(str(c["column"]) for c in raw)
        fields: list[tuple[int, str]] = []
        traits: list[tuple[int, str]] = []
        for index, column in enumerate(raw):
            target = column.get("field")
            if not target:
                continue
            if is_trait(target):
                traits.append((index, trait_key(target)))
            else:
                fields.append((index, target))
        return cls(kind, headers, tuple(fields), tuple(traits))


_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def header_looks_like_data(headers: list[str]) -> bool:
    """A first row holding an email address or a phone number is data, not column names."""
    return any(_EMAIL_SHAPE.fullmatch(h.strip()) or looks_like_phone(h) for h in headers)


def resolve(
    kind: ImportKind,
    headers: list[str],
    explicit: tuple[tuple[str, str | None], ...],
    unmapped_as_traits: bool,
) -> ColumnPlan:
    """The plan for a header, or a DomainError about the explicit mapping or the header."""
    cleaned = [h.strip() for h in headers]
    chosen: dict[int, str | None] = {}
    by_exact = {h: i for i, h in reversed(list(enumerate(cleaned)))}
    by_key = {header_key(h): i for i, h in reversed(list(enumerate(cleaned))) if h}
    claimed: dict[str, int] = {}
    for position, (column, target) in enumerate(explicit):
        index = by_exact.get(column.strip())
        if index is None:
            index = by_key.get(header_key(column))
        if index is None:
            raise DomainError(
                Code.UNKNOWN_COLUMN,
                "A mapped column is not in the file's header.",
                f"mapping.{position}.column",
            )
        if target is not None and target.strip():
            target = target.strip()
            if not _valid_target(kind, target):
                raise DomainError(
                    Code.UNKNOWN_FIELD,
                    "A mapping names a field that does not exist for this kind of import.",
                    f"mapping.{position}.field",
                )
            if target in claimed:
                raise DomainError(
                    Code.DUPLICATE_FIELD,
                    "Two columns are mapped to the same field.",
                    f"mapping.{position}.field",
                )
            claimed[target] = index
            chosen[index] = target
        else:
            chosen[index] = None
    trait_keys = {trait_key(t) for t in claimed if is_trait(t)}
    for index, header in enumerate(cleaned):
        if index in chosen or not header:
            continue
        target = auto_field(kind, header)
        if target is not None and target not in claimed:
            claimed[target] = index
            chosen[index] = target
        elif unmapped_as_traits and kind is ImportKind.CUSTOMERS:
            key = header[:MAX_TRAIT_KEY]
            if key not in trait_keys:
                trait_keys.add(key)
                chosen[index] = TRAIT_PREFIX + key
    fields = tuple((i, t) for i, t in sorted(chosen.items()) if t and not is_trait(t))
    traits = tuple((i, trait_key(t)) for i, t in sorted(chosen.items()) if t and is_trait(t))
    return ColumnPlan(kind, tuple(cleaned), fields, traits)


def check_plan(plan: ColumnPlan) -> None:
    """A job-level DomainError when the mapped columns cannot make an import."""
    mapped = {name for _, name in plan.fields}
    if not mapped & IDENTIFIER_FIELDS[plan.kind]:
        what = (
            "an email, a phone or an external reference"
            if plan.kind is ImportKind.CUSTOMERS
            else "the customer (external reference, email, phone or id)"
        )
        raise DomainError(
            Code.NO_IDENTIFIER_COLUMN,
            f"No column holds {what}: name the header or map a column explicitly.",
            "mapping",
        )
    for required in REQUIRED_FIELDS[plan.kind]:
        if required not in mapped:
            raise DomainError(
                Code.NO_IDENTIFIER_COLUMN
                if required in IDENTIFIER_FIELDS[plan.kind]
                else Code.MISSING_COLUMN,
                f"No column holds the field `{required}`: name the header or map it.",
                "mapping",
            )
