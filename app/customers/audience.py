"""An audience: a customer-list filter (`CustomerFilter`, what `CustomerWhereInput` builds)
stored as JSON on an earning rule or a campaign, and the two ways to apply it.

- `to_json` / `from_json`: the stored form. Only the conditions that are set are written, with
  the GraphQL input's names (camelCase), so a stored audience reads like the `where` it came
  from. `from_json` refuses unknown keys and wrong types (`AudienceInvalid`, naming the key).
- `problems`: what is wrong with a well-formed filter in an organization (an unknown tier,
  persona, store or signup form), as (field, message) pairs for the caller's typed errors.
- `matches(customer, filter)`: one customer in memory (a rule evaluated inside an order's
  transaction), and `members(organization_id, filter)`: the queryset (a campaign's audience).
  Both read the same conditions; a test keeps them in agreement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from app.customers.repository import personas, visibility
from app.customers.repository.search import CustomerFilter, apply_filter
from app.customers.repository.stats import TierBand, tier_bands
from app.models.customer import Customer, LifecycleStage, RfmSegment, SmsState
from app.organizations import repository as organizations
from app.organizations.program import LoyaltyProgram

# At most this many values in one list condition: a stored filter stays small.
MAX_LIST = 50


class AudienceInvalid(ValueError):
    """A stored or submitted audience that is not a filter; `field` names the key at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise AudienceInvalid(key, "Must be true or false.")
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise AudienceInvalid(key, "Must be a non-empty text of at most 100 characters.")
    return value.strip()


def _id(key: str, value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise AudienceInvalid(key, "Must be an id.") from None


def _datetime(key: str, value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise AudienceInvalid(key, "Must be an ISO 8601 date and time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _members_of(kind: type[Any]) -> Callable[[str, Any], list[Any]]:
    def parse(key: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise AudienceInvalid(key, f"Must be a list of at most {MAX_LIST} values.")
        try:
            return [kind(v) for v in value]
        except (ValueError, TypeError):
            raise AudienceInvalid(key, "Holds a value that is not allowed.") from None

    return parse


def _tiers(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise AudienceInvalid(key, f"Must be a list of at most {MAX_LIST} values.")
    return [_text(key, v) for v in value]


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "loyalty_enrolled": _bool,
    "email_opt_in": _bool,
    "sms_state": lambda key, value: _members_of(SmsState)(key, [value])[0],
    "signup_form_id": _id,
    "favorite_store_id": _id,
    "country": _text,
    "city": _text,
    "created_after": _datetime,
    "created_before": _datetime,
    "has_email": _bool,
    "has_phone": _bool,
    "lifecycle_stages": _members_of(LifecycleStage),
    "rfm_segments": _members_of(RfmSegment),
    "persona_id": _id,
    "tiers": _tiers,
}
_BY_KEY = {_camel(name): name for name in _PARSERS}


def _stored(value: Any) -> Any:
    if isinstance(value, list):
        return [_stored(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def to_json(where: CustomerFilter) -> dict[str, Any]:
    """The filter's set conditions, under the GraphQL input's names."""
    return {
        _camel(f.name): _stored(getattr(where, f.name))
        for f in fields(where)
        if getattr(where, f.name) is not None
    }


def from_json(data: Any) -> CustomerFilter:
    if data is None:
        return CustomerFilter()
    if not isinstance(data, dict):
        raise AudienceInvalid("audience", "The audience must be an object of filter conditions.")
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = _BY_KEY.get(key)
        if name is None:
            raise AudienceInvalid(key, "Not a condition of the customer list.")
        if value is not None:
            values[name] = _PARSERS[name](key, value)
    return replace(CustomerFilter(), **values)


def is_everyone(where: CustomerFilter) -> bool:
    return not to_json(where)


async def problems(
    organization_id: uuid.UUID, where: CustomerFilter, program: LoyaltyProgram
) -> list[tuple[str, str]]:
    """What in a well-formed filter names something the organization does not have."""
    found: list[tuple[str, str]] = []
    known_tiers = {t.name for t in program.tiers}
    if where.tiers and any(name not in known_tiers for name in where.tiers):
        found.append(("tiers", "Names a tier the program does not have."))
    if where.favorite_store_id is not None and not await organizations.store_exists(
        organization_id, store_id=where.favorite_store_id
    ):
        found.append(("favoriteStoreId", "No such store."))
    if where.signup_form_id is not None and not await organizations.signup_form_exists(
        organization_id, form_id=where.signup_form_id
    ):
        found.append(("signupFormId", "No such signup form."))
    if where.persona_id is not None and not await personas.persona_known(
        organization_id, where.persona_id
    ):
        found.append(("personaId", "No such persona."))
    if (
        where.created_after is not None
        and where.created_before is not None
        and where.created_before <= where.created_after
    ):
        found.append(("createdBefore", "Must be after createdAfter."))
    return found


def members(
    organization_id: uuid.UUID, where: CustomerFilter, program: LoyaltyProgram
) -> QuerySet[Customer]:
    """The live customers of the organization the filter selects (archived ones included, as
    the list's `includeArchived` would: an audience acts on everyone still a customer)."""
    return apply_filter(visibility.live_rows_of(organization_id), where, tier_bands(program.tiers))


def _in_tiers(lifetime_points: int, names: Sequence[str], bands: Sequence[TierBand]) -> bool:
    return any(
        band.name in names
        and lifetime_points >= band.low
        and (band.high is None or lifetime_points < band.high)
        for band in bands
    )


def _plain_conditions_hold(customer: Customer, where: CustomerFilter) -> bool:
    checks: list[tuple[Any, Callable[[Any], bool]]] = [
        (where.loyalty_enrolled, lambda v: customer.loyalty_enrolled == v),
        (where.email_opt_in, lambda v: customer.email_opt_in == v),
        (where.sms_state, lambda v: customer.sms_state == v),
        (where.signup_form_id, lambda v: str(customer.signup_form_id) == str(v)),
        (where.favorite_store_id, lambda v: str(customer.favorite_store_id) == str(v)),
        (where.country, lambda v: (customer.country or "") == v.strip().upper()),
        (where.city, lambda v: (customer.city or "").lower() == v.strip().lower()),
        (where.created_after, lambda v: customer.created_at >= v),
        (where.created_before, lambda v: customer.created_at < v),
        (where.has_email, lambda v: (customer.email is not None) == v),
        (where.has_phone, lambda v: (customer.phone is not None) == v),
    ]
    if not all(check(value) for value, check in checks if value is not None):
        return False
    if where.lifecycle_stages and customer.lifecycle_stage not in where.lifecycle_stages:
        return False
    return not (where.rfm_segments and customer.rfm_segment not in where.rfm_segments)


async def matches(
    customer: Customer,
    where: CustomerFilter,
    program: LoyaltyProgram,
    conn: BaseDBAsyncClient | None = None,
) -> bool:
    """Whether this customer is in the audience, as it stands in memory (inside the caller's
    transaction); only a persona condition asks the database."""
    if not _plain_conditions_hold(customer, where):
        return False
    if where.tiers and not _in_tiers(
        customer.lifetime_points, where.tiers, tier_bands(program.tiers)
    ):
        return False
    if where.persona_id is None:
        return True
    return await personas.in_current_persona(
        customer.organization_id,  # type: ignore[arg-type]
        where.persona_id,
        customer.id,
        conn,
    )
