"""Privacy requests: filing one (staff, operator), following it, and carrying it out (worker).

A request names its customer by id; an identifier given by staff is resolved when the request is
filed and never stored. Carrying out is idempotent: a request already DONE is left alone, and an
interrupted one starts over (erasure is one transaction, export rewrites its file, opt-out
writes nothing twice because the consent it sets is already set).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.config import Settings
from app.core.blocklist import IdentifierKind
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.jobs import request_job, revive
from app.core.keyset import sorted_page
from app.core.pagination import Page
from app.core.sorting import SortedPageRequest
from app.core.transactions import atomic
from app.customers import repository as customers
from app.customers.errors import CustomerErrorCode
from app.customers.finder import find_customer
from app.imports.storage import ImportStorage
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.models.audit import AuditAction
from app.models.consent import ConsentChannel, ConsentSource
from app.models.customer import Customer, CustomerStatus, SmsState
from app.models.message import MessageChannel, MessagePurpose
from app.models.privacy import BlockReason
from app.models.privacy_request import (
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestSource,
    PrivacyRequestStatus,
)
from app.privacy.service import block_identifiers, unblock_identifier
from app.privacy_requests import erasure, export_document, repository
from app.privacy_requests.errors import PrivacyRequestErrorCode as Code
from app.privacy_requests.file_redaction import redact_file
from app.privacy_requests.jobs import carry_out

logger = logging.getLogger("app.privacy_requests")

SUBJECT = "customer"
REQUEST_SUBJECT = "privacy_request"
MAX_REASON = 500
# A request a worker should have finished by now and has not been heard of since.
STALE_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Target:
    """Whom a request is about: exactly one of these."""

    customer_id: uuid.UUID | None = None
    email: str | None = None
    phone: str | None = None


_IDENTIFIER_CODES = {
    CustomerErrorCode.INVALID_EMAIL: Code.INVALID_EMAIL,
    CustomerErrorCode.INVALID_PHONE: Code.INVALID_PHONE,
}


async def _customer(principal: Principal, target: Target) -> Customer:
    given = [v for v in (target.customer_id, target.email, target.phone) if v is not None]
    if len(given) != 1:
        raise DomainError(Code.INVALID, "Give exactly one of customerId, email, phone.")
    try:
        customer = await find_customer(
            principal, customer_id=target.customer_id, email=target.email, phone=target.phone
        )
    except DomainError as exc:
        code = _IDENTIFIER_CODES.get(exc.code, Code.INVALID)  # type: ignore[call-overload]
        raise DomainError(code, exc.message, exc.field) from None
    if customer is None:
        if target.customer_id is not None:
            row = await repository.customer_row(principal.organization_id, target.customer_id)
            if row is not None and row.status is CustomerStatus.ERASED:
                raise DomainError(Code.ERASED, "This customer is already erased.", "customerId")
        raise DomainError(Code.NOT_FOUND, "No customer matches.", _field(target))
    return customer


def _field(target: Target) -> str:
    if target.email is not None:
        return "email"
    if target.phone is not None:
        return "phone"
    return "customerId"


async def file_request(
    principal: Principal,
    settings: Settings,
    kind: PrivacyRequestKind,
    target: Target,
    reason: str = "",
    source: PrivacyRequestSource = PrivacyRequestSource.STAFF,
) -> PrivacyRequest:
    """File a request on staff's (or an operator's) word: verified at once, carried out by a
    worker after the commit. The same open request twice is refused (ALREADY_REQUESTED)."""
    principal.require(Operation.PRIVACY_REQUEST)
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise DomainError(Code.INVALID, f"The reason is longer than {MAX_REASON} characters.")
    customer = await _customer(principal, target)
    if await repository.open_of_customer(principal.organization_id, customer.id, kind):
        raise DomainError(
            Code.ALREADY_REQUESTED, "The same request for this customer is already open."
        )
    now = utcnow()
    async with atomic() as conn:
        request = await repository.create(
            conn,
            organization_id=principal.organization_id,
            kind=kind,
            status=PrivacyRequestStatus.VERIFIED,
            source=source,
            customer_id=customer.id,
            requested_by_id=principal.subject_id,
            reason=reason,
            received_at=now,
            verified_at=now,
            due_at=now + dt.timedelta(days=settings.privacy_deadline_days),
        )
        await audit.record(
            principal,
            AuditAction.PRIVACY_REQUEST_CREATED,
            REQUEST_SUBJECT,
            request.id,
            {"kind": kind.value, "customerId": str(customer.id)},
            using_db=conn,
        )
        await request_job(carry_out(principal.organization_id, request.id))
    return request


@dataclass(frozen=True)
class ShopperIdentifier:
    """An identifier the shopper proved to control (a code sent to it was typed back)."""

    channel: MessageChannel
    value: str


async def file_shopper_request(
    principal: Principal,
    settings: Settings,
    kind: PrivacyRequestKind,
    identifier: ShopperIdentifier,
    base_url: str,
) -> None:
    """A verified shopper's own request, from the self-serve page.

    Returns nothing on purpose: the page says the same whether or not a customer holds the
    identifier. When one does, the request is filed (verified, source SHOPPER) and carried out
    by a worker; for an export, the download link is sent at once to the verified identifier
    (the link answers "being prepared" until the export is ready), so nothing needs to keep
    the identifier in the request.
    """
    principal.require_system()
    target = (
        Target(email=identifier.value)
        if identifier.channel is MessageChannel.EMAIL
        else Target(phone=identifier.value)
    )
    try:
        customer = await _customer(principal, target)
    except DomainError:
        if kind is PrivacyRequestKind.ERASE:
            # Nobody holds it here: erasing it means never using it again.
            await _block(principal, identifier)
        return
    if await repository.open_of_customer(principal.organization_id, customer.id, kind):
        return
    now = utcnow()
    token = secrets.token_urlsafe(32) if kind is PrivacyRequestKind.EXPORT else None
    async with atomic() as conn:
        request = await repository.create(
            conn,
            organization_id=principal.organization_id,
            kind=kind,
            status=PrivacyRequestStatus.VERIFIED,
            source=PrivacyRequestSource.SHOPPER,
            customer_id=customer.id,
            received_at=now,
            verified_at=now,
            due_at=now + dt.timedelta(days=settings.privacy_deadline_days),
            export_token_sha256=_token_digest(token) if token else None,
        )
        await audit.record(
            principal,
            AuditAction.PRIVACY_REQUEST_CREATED,
            REQUEST_SUBJECT,
            request.id,
            {"kind": kind.value, "customerId": str(customer.id), "source": "SHOPPER"},
            using_db=conn,
        )
        await request_job(carry_out(principal.organization_id, request.id))
    if token is not None:
        link = f"{base_url.rstrip('/')}/privacy/exports/{token}"
        await enqueue_message(
            principal,
            NewMessage(
                channel=identifier.channel,
                purpose=MessagePurpose.EXPORT_LINK,
                recipient=identifier.value,
                subject="Your data is ready to download"
                if identifier.channel is MessageChannel.EMAIL
                else None,
                body=_export_link_text(link, settings.export_link_hours),
                idempotency_key=f"export-link:{request.id}",
                customer_id=customer.id,
            ),
        )


async def _block(principal: Principal, identifier: ShopperIdentifier) -> None:
    email = identifier.channel is MessageChannel.EMAIL
    await block_identifiers(
        principal,
        emails=[identifier.value] if email else None,
        phones=None if email else [identifier.value],
        reason=BlockReason.ERASED,
    )


async def recover_identifier(principal: Principal, identifier: ShopperIdentifier) -> None:
    """A verified shopper wants to use an erased or blocked email or phone again: its blocklist
    entry goes (their old data stays erased). Nothing is said about whether it was blocked."""
    principal.require_system()
    kind = (
        IdentifierKind.EMAIL if identifier.channel is MessageChannel.EMAIL else IdentifierKind.PHONE
    )
    await unblock_identifier(principal, kind, identifier.value)


def _export_link_text(link: str, hours: int) -> str:
    return (
        f"You asked for a copy of your data. Download it here (it works once, for {hours} "
        f"hours after it is ready; if it is still being prepared, try again in a minute): {link}"
    )


async def get_request(principal: Principal, request_id: uuid.UUID) -> PrivacyRequest | None:
    principal.require(Operation.PRIVACY_REQUEST)
    return await repository.get(principal.organization_id, request_id)


async def list_requests(
    principal: Principal,
    page: SortedPageRequest,
    *,
    status: PrivacyRequestStatus | None = None,
    overdue: bool = False,
) -> Page[PrivacyRequest]:
    """In the order of `page.sort` (newest first by default); `overdue`: open requests past
    their legal deadline."""
    principal.require(Operation.PRIVACY_REQUEST)
    overdue_at = utcnow() if overdue else None
    return await sorted_page(repository.listed(principal.organization_id, status, overdue_at), page)


# --- carrying out (worker) ---------------------------------------------------------------


async def run_request(
    principal: Principal, settings: Settings, request_id: uuid.UUID
) -> str | None:
    """Carry out one request; the final status, or None when there was nothing to do."""
    principal.require_system()
    async with atomic() as conn:
        request = await repository.lock(request_id, conn)
        if request is None or request.organization_id != principal.organization_id:
            return None
        if request.status not in (PrivacyRequestStatus.VERIFIED, PrivacyRequestStatus.RUNNING):
            return request.status.value
        request.status = PrivacyRequestStatus.RUNNING
        request.started_at = request.started_at or utcnow()
        request.attempts += 1
        await repository.save(request, ["status", "started_at", "attempts"], conn)
    if request.kind is PrivacyRequestKind.ERASE:
        await _erase(principal, settings, request)
    elif request.kind is PrivacyRequestKind.EXPORT:
        await _export(principal, settings, request)
    else:
        await _opt_out(principal, request)
    return PrivacyRequestStatus.DONE.value


async def _finish(request: PrivacyRequest, steps: list[str], conn: BaseDBAsyncClient) -> None:
    request.status = PrivacyRequestStatus.DONE
    request.completed_at = utcnow()
    request.steps = steps
    await repository.save(request, ["status", "completed_at", "steps"], conn)


async def _erase(principal: Principal, settings: Settings, request: PrivacyRequest) -> None:
    customer_id = request.customer_id
    if customer_id is None:
        raise RuntimeError("an erasure request without a customer")
    async with atomic() as conn:
        erased = await erasure.erase_rows(principal, customer_id, conn)  # type: ignore[arg-type]
        steps = ["identity removed", "points removed", "orders de-linked",
                 "consent evidence reduced to proof", "persona assignment dropped"]  # fmt: skip
        if len(erased.customer_ids) > 1:
            steps.append(f"{len(erased.customer_ids) - 1} merged customer(s) erased")
        for erased_id in erased.customer_ids:
            await audit.record(
                principal,
                AuditAction.CUSTOMER_ERASED,
                SUBJECT,
                erased_id,
                {"request": str(request.id), "ordersDelinked": erased.orders_delinked},
                using_db=conn,
            )
        # Files outside the database are cleaned after the commit below; were the worker
        # killed in between, the rerun finds the customer erased and cleans them then.
        await _finish(request, [*steps, "uploaded files redacted", "exports deleted"], conn)
    if erased.customer_ids:
        _clean_files(settings, principal.organization_id, erased)
        await _delete_exports(settings, principal.organization_id, erased.customer_ids)


def _clean_files(settings: Settings, organization_id: uuid.UUID, erased: erasure.Erased) -> None:
    storage = ImportStorage(settings.imports_root)
    org_dir = storage.root / str(organization_id)
    if not org_dir.is_dir():
        return
    for path in org_dir.glob("*.csv"):
        redact_file(path, erased.needles)


async def _delete_exports(
    settings: Settings, organization_id: uuid.UUID, customer_ids: list[uuid.UUID]
) -> None:
    for request in await repository.export_files_of(organization_id, customer_ids):
        _unlink_export(settings, request)
        async with atomic() as conn:
            request.export_file = None
            request.export_token_sha256 = None
            await repository.save(request, ["export_file", "export_token_sha256"], conn)


def _unlink_export(settings: Settings, request: PrivacyRequest) -> None:
    if request.export_file:
        with contextlib.suppress(FileNotFoundError):
            (settings.exports_root / request.export_file).unlink()


@dataclass(frozen=True)
class ExportLink:
    """The single-use token, known only to whoever receives it (stored as its sha256)."""

    token: str
    expires_at: dt.datetime


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _export(principal: Principal, settings: Settings, request: PrivacyRequest) -> None:
    customer = await _unerased(principal, request.customer_id)
    if customer is None:
        async with atomic() as conn:
            request.status = PrivacyRequestStatus.FAILED
            request.error_code = Code.ERASED.value
            await repository.save(request, ["status", "error_code"], conn)
        return
    merged = await _merged_customers(principal, customer.id)
    document = await export_document.build(customer, merged, utcnow())
    settings.exports_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{request.id}.json"
    target = settings.exports_root / name
    partial = target.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, indent=1)
    partial.replace(target)
    async with atomic() as conn:
        request.export_file = name
        # The token itself is handed out by `issue_export_link`; only its digest is kept.
        request.export_expires_at = utcnow() + dt.timedelta(hours=settings.export_link_hours)
        await audit.record(
            principal,
            AuditAction.CUSTOMER_EXPORTED,
            SUBJECT,
            customer.id,
            {"request": str(request.id)},
            using_db=conn,
        )
        await repository.save(request, ["export_file", "export_expires_at"], conn)
        await _finish(request, ["export written", "download link ready"], conn)


async def _unerased(principal: Principal, customer_id: object) -> Customer | None:
    if not isinstance(customer_id, uuid.UUID):
        return None
    row = await repository.customer_row(principal.organization_id, customer_id)
    if row is None or row.status is CustomerStatus.ERASED:
        return None
    return row


async def _merged_customers(principal: Principal, customer_id: uuid.UUID) -> list[Customer]:
    async with atomic() as conn:
        ids = await erasure.with_merged(principal, customer_id, conn)
    return [c for c in [await _unerased(principal, i) for i in ids[1:]] if c is not None]


async def issue_export_link(principal: Principal, request_id: uuid.UUID) -> ExportLink:
    """A fresh single-use link for the staff member who asked for the export (a new one
    replaces the old: only the last one handed out works)."""
    principal.require(Operation.PRIVACY_REQUEST)
    async with atomic() as conn:
        request = await repository.lock(request_id, conn)
        if (
            request is None
            or request.organization_id != principal.organization_id
            or request.kind is not PrivacyRequestKind.EXPORT
            or request.export_file is None
            or request.export_downloaded_at is not None
            or request.export_expires_at is None
            or request.export_expires_at <= utcnow()
        ):
            raise DomainError(Code.EXPORT_UNAVAILABLE, "No export is ready to download.")
        if request.requested_by_id != principal.subject_id:
            raise DomainError(
                Code.EXPORT_UNAVAILABLE, "Only the person who asked for an export may download it."
            )
        token = secrets.token_urlsafe(32)
        request.export_token_sha256 = _token_digest(token)
        await repository.save(request, ["export_token_sha256"], conn)
    return ExportLink(token, request.export_expires_at)


async def take_operator_export(
    principal: Principal, settings: Settings, request_id: uuid.UUID
) -> bytes | None:
    """The export of a request filed from the command line, handed over once (the operator
    already holds the machine; no link is issued)."""
    principal.require_system()
    async with atomic() as conn:
        request = await repository.lock(request_id, conn)
        if request is None or request.organization_id != principal.organization_id:
            return None
        return await _hand_over(settings, request, conn)


EXPORT_PENDING = b""


async def take_export(settings: Settings, token: str) -> bytes | None:
    """The export file behind a link, once: the file is deleted as it is handed over.
    `EXPORT_PENDING` while the export behind a valid link is still being made."""
    if not token or len(token) > 100:
        return None
    async with atomic() as conn:
        found = await repository.export_by_token(_token_digest(token))
        if found is None:
            return None
        request = await repository.lock(found.id, conn)
        if request is None:
            return None
        if request.status in repository.OPEN_STATUSES:
            return EXPORT_PENDING
        return await _hand_over(settings, request, conn)


async def _hand_over(
    settings: Settings, request: PrivacyRequest, conn: BaseDBAsyncClient
) -> bytes | None:
    """The export's bytes, once: the file is deleted and the request marked downloaded."""
    if (
        request.export_file is None
        or request.export_downloaded_at is not None
        or request.export_expires_at is None
        or request.export_expires_at <= utcnow()
    ):
        return None
    try:
        content = (settings.exports_root / request.export_file).read_bytes()
    except FileNotFoundError:
        return None
    _unlink_export(settings, request)
    request.export_downloaded_at = utcnow()
    request.export_file = None
    request.export_token_sha256 = None
    await repository.save(
        request, ["export_downloaded_at", "export_file", "export_token_sha256"], conn
    )
    return content


async def _opt_out(principal: Principal, request: PrivacyRequest) -> None:
    async with atomic() as conn:
        customer = await customers.lock(
            principal.organization_id,
            request.customer_id,  # type: ignore[arg-type]
            conn,
        )
        changes: list[tuple[ConsentChannel, str]] = []
        if customer is not None and customer.status is not CustomerStatus.ERASED:
            if customer.email_opt_in:
                customer.email_opt_in = False
                changes.append((ConsentChannel.EMAIL, "OPTED_OUT"))
            if customer.sms_state is not SmsState.UNSUBSCRIBED:
                customer.sms_state = SmsState.UNSUBSCRIBED
                changes.append((ConsentChannel.SMS, SmsState.UNSUBSCRIBED.value))
            if changes:
                await customers.save_fields(customer, ["email_opt_in", "sms_state"], conn)
                source = (
                    ConsentSource.SHOPPER
                    if request.source is PrivacyRequestSource.SHOPPER
                    else ConsentSource.STAFF
                )
                await customers.record_consent(
                    principal.organization_id, customer.id, changes, source, conn
                )
            await audit.record(
                principal,
                AuditAction.CUSTOMER_OPTED_OUT,
                SUBJECT,
                customer.id,
                {"request": str(request.id), "channels": [c.value for c, _ in changes]},
                using_db=conn,
            )
        await _finish(request, ["email and SMS consent withdrawn"], conn)


async def fail(principal: Principal, request_id: uuid.UUID, code: str) -> None:
    principal.require_system()
    async with atomic() as conn:
        request = await repository.lock(request_id, conn)
        if request is None or request.status is PrivacyRequestStatus.DONE:
            return
        request.status = PrivacyRequestStatus.FAILED
        request.error_code = code[:40]
        await repository.save(request, ["status", "error_code"], conn)


async def resend_stale(principal: Principal) -> int:
    """Revive requests a worker should be carrying out and is not (lost Redis, killed worker):
    their rows are the intent, the job only a wake-up call, and running one twice is harmless
    (a request already DONE is left alone; erasure skips customers already erased)."""
    principal.require_system()
    revived = 0
    org = principal.organization_id
    for request in await repository.unfinished(org, utcnow() - STALE_AFTER, 500):
        async with atomic() as conn:
            # Touched, so the next sweep waits STALE_AFTER again before reviving it.
            request.resends += 1
            await repository.save(request, ["resends"], conn)
        revived += await revive(carry_out(org, request.id))
    return revived


async def delete_expired_exports(principal: Principal, settings: Settings) -> int:
    principal.require_system()
    deleted = 0
    for request in await repository.expired_exports(principal.organization_id, utcnow(), 500):
        _unlink_export(settings, request)
        async with atomic() as conn:
            request.export_file = None
            request.export_token_sha256 = None
            await repository.save(request, ["export_file", "export_token_sha256"], conn)
        deleted += 1
    return deleted
