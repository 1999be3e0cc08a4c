from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import WalletError
from app.graphql.payloads import Payload
from app.graphql.wallets.inputs import LoyaltyProgramInput
from app.graphql.wallets.types import LedgerEntryType, LoyaltyProgramType, WalletType
from app.wallets import program_admin
from app.wallets import service as wallets
from app.wallets.service import WalletResult


@strawberry.type
class WalletPayload(Payload):
    wallet: WalletType | None = None
    entry: LedgerEntryType | None = None
    replayed: bool = strawberry.field(
        default=False,
        description="True when this idempotency key was seen before: nothing new was written.",
    )
    errors: list[WalletError] = strawberry.field(default_factory=list)


@strawberry.type
class LoyaltyProgramPayload(Payload):
    program: LoyaltyProgramType | None = None
    errors: list[WalletError] = strawberry.field(default_factory=list)


async def _move(
    info: Info,
    operation: Callable[[Principal, uuid.UUID, int, str, Any], Awaitable[WalletResult]],
    customer_id: strawberry.ID,
    points: int,
    reason: str,
    idempotency_key: str | None,
) -> WalletPayload:
    principal = info.context.principal
    try:
        result = await operation(
            principal, parse_id(customer_id, "customerId"), points, reason, idempotency_key
        )
    except DomainError as exc:
        return WalletPayload.failed(exc)
    return WalletPayload(
        wallet=WalletType.of(result.wallet),
        entry=LedgerEntryType.from_model(result.entry),
        replayed=result.replayed,
    )


@strawberry.type
class WalletMutations:
    @strawberry.mutation(description="Credit points. A retry with the same key changes nothing.")
    async def wallet_earn(
        self, info: Info, customer_id: strawberry.ID, points: int, reason: str, idempotency_key: str
    ) -> WalletPayload:
        return await _move(info, wallets.earn, customer_id, points, reason, idempotency_key)

    @strawberry.mutation(description="Spend points; never below zero. Retries are safe.")
    async def wallet_redeem(
        self, info: Info, customer_id: strawberry.ID, points: int, reason: str, idempotency_key: str
    ) -> WalletPayload:
        return await _move(info, wallets.redeem, customer_id, points, reason, idempotency_key)

    @strawberry.mutation(description="Staff correction, positive or negative, with a reason.")
    async def wallet_adjust(
        self,
        info: Info,
        customer_id: strawberry.ID,
        points: int,
        reason: str,
        idempotency_key: str | None = None,
    ) -> WalletPayload:
        return await _move(info, wallets.adjust, customer_id, points, reason, idempotency_key)

    @strawberry.mutation
    async def loyalty_program_update(
        self, info: Info, input: LoyaltyProgramInput
    ) -> LoyaltyProgramPayload:
        principal = info.context.principal
        try:
            program = await program_admin.update_program(principal, input.changes())
        except DomainError as exc:
            return LoyaltyProgramPayload.failed(exc)
        return LoyaltyProgramPayload(program=LoyaltyProgramType.of(program))
