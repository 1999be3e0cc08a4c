"""What erasing a customer does, in one transaction (all or nothing, so a worker killed halfway
leaves the customer as it was and the rerun starts over), then the files outside the database.

Removed: identifiers, names, birthday, address, traits, consent evidence text, persona
assignment, points (an ERASE ledger entry empties the wallet), and the same for every customer
merged into it; their emails and phones go on the blocklist (hidden everywhere, refused at
creation, skipped by imports); messages to them in the outbox keep their status, not their text or
recipient. Kept for accounting: orders (de-linked from the customer), ledger amounts, the
consent proof (channel, state, source, time) and the anonymous customer row with status ERASED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.principal import Principal
from app.messaging import repository as outbox
from app.models.customer import Customer, CustomerStatus, SmsState
from app.models.merge import AliasKind
from app.models.privacy import BlockReason
from app.models.wallet import LedgerKind
from app.privacy.service import block_identifiers
from app.privacy_requests import repository
from app.privacy_requests.file_redaction import Needles
from app.wallets.ledger import Movement, post

ERASE_REASON = "erased on a privacy request"
# A chain of merges deeper than this is not something the product creates.
MAX_MERGE_DEPTH = 32

_BLANKED_FIELDS = (
    "email", "phone", "external_reference", "first_name", "last_name", "first_name_key",
    "last_name_key", "birthday", "birthday_monthday", "city", "region", "postal_code",
    "country", "traits", "favorite_store_id", "favorite_store_source", "email_opt_in",
    "sms_state", "push_opt_in", "referred_by_id", "archive_reason", "status",
    "points_balance", "lifetime_points", "rfm_recency", "rfm_frequency", "rfm_monetary",
    "rfm_segment", "updated_at",
)  # fmt: skip


@dataclass
class Erased:
    """What the erasure found, for the steps after the commit (never stored, never logged)."""

    customer_ids: list[uuid.UUID] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    orders_delinked: int = 0
    points_removed: int = 0

    @property
    def identifiers(self) -> list[str]:
        """Emails and phones: what messages and suggestions are addressed by."""
        return [*self.emails, *self.phones]

    def add(self, kind: AliasKind, value: str) -> None:
        {
            AliasKind.EMAIL: self.emails,
            AliasKind.PHONE: self.phones,
            AliasKind.EXTERNAL_REFERENCE: self.references,
        }[kind].append(value)

    @property
    def needles(self) -> Needles:
        return Needles.of([*self.emails, *self.references], self.phones)


async def with_merged(
    principal: Principal, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> list[uuid.UUID]:
    ids = [customer_id]
    frontier = [customer_id]
    for _ in range(MAX_MERGE_DEPTH):
        found = await repository.merged_into(principal.organization_id, frontier, conn)
        frontier = [c.id for c in found if c.id not in ids]
        if not frontier:
            break
        ids += frontier
    return ids


def _blank(customer: Customer) -> None:
    customer.email = None
    customer.phone = None
    customer.external_reference = None
    customer.first_name = customer.last_name = ""
    customer.first_name_key = customer.last_name_key = ""
    customer.birthday = None
    customer.birthday_monthday = None
    customer.city = customer.region = customer.postal_code = customer.country = None
    customer.traits = {}
    customer.favorite_store_id = None
    customer.favorite_store_source = None
    customer.email_opt_in = False
    customer.sms_state = SmsState.NOT_SUBSCRIBED
    customer.push_opt_in = False
    customer.referred_by_id = None
    customer.archive_reason = None
    customer.rfm_recency = customer.rfm_frequency = customer.rfm_monetary = None
    customer.rfm_segment = None
    customer.status = CustomerStatus.ERASED


async def erase_rows(
    principal: Principal, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> Erased:
    """The database part of an erasure, inside the caller's transaction."""
    ids = await with_merged(principal, customer_id, conn)
    erased = Erased()
    for customer in await repository.lock_customers(principal.organization_id, ids, conn):
        if customer.status is CustomerStatus.ERASED:
            continue
        erased.customer_ids.append(customer.id)
        if customer.email:
            erased.emails.append(customer.email)
        if customer.phone:
            erased.phones.append(customer.phone)
        if customer.external_reference:
            erased.references.append(customer.external_reference)
        if customer.points_balance > 0:
            erased.points_removed += customer.points_balance
            await post(
                principal,
                customer,
                Movement(LedgerKind.ERASE, -customer.points_balance, ERASE_REASON),
                conn,
            )
        _blank(customer)
        # Lifetime points describe a person's history with the program; they go too.
        customer.lifetime_points = 0
        await customer.save(update_fields=list(_BLANKED_FIELDS), using_db=conn)
    if not erased.customer_ids:
        return erased
    for alias in await repository.take_aliases(
        principal.organization_id, erased.customer_ids, conn
    ):
        erased.add(alias.kind, alias.value)
    await repository.forget_merge_snapshots(principal.organization_id, erased.customer_ids, conn)
    if erased.identifiers:
        # Inside this transaction (the block joins it): a rerun after a kill finds the
        # customers erased and their identifiers gone, so blocking could not happen later.
        await block_identifiers(
            principal, emails=erased.emails, phones=erased.phones, reason=BlockReason.ERASED
        )
    erased.orders_delinked = await repository.delink_orders(erased.customer_ids, conn)
    await repository.strip_consent_evidence(erased.customer_ids, conn)
    await repository.drop_persona_assignments(principal.organization_id, erased.customer_ids, conn)
    await repository.drop_duplicate_traces(
        principal.organization_id, erased.customer_ids, erased.identifiers, conn
    )
    await outbox.redact(
        principal.organization_id,
        customer_ids=erased.customer_ids,
        recipients=erased.identifiers,
        conn=conn,
    )
    await repository.purge_row_errors_mentioning(
        principal.organization_id, erased.identifiers, conn
    )
    return erased
