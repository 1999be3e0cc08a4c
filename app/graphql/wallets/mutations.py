from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import strawberry

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import WalletError, wallet_errors
from app.graphql.wallets.types import LedgerEntryType, LoyaltyProgramType, WalletType
from app.wallets import program_admin
from app.wallets import service as wallets
from app.wallets.program import Tier
from app.wallets.service import WalletResult


@strawberry.type
class WalletPayload:
    wallet: WalletType | None
    entry: LedgerEntryType | None
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before: nothing new was written."
    )
    errors: list[WalletError]

    @classmethod
    def of(cls, result: WalletResult) -> WalletPayload:
        return cls(
            wallet=WalletType.of(result.wallet),
            entry=LedgerEntryType.from_model(result.entry),
            replayed=result.replayed,
            errors=[],
        )

    @classmethod
    def failed(cls, exc: DomainError) -> WalletPayload:
        return cls(wallet=None, entry=None, replayed=False, errors=wallet_errors(exc))


@strawberry.input
class TierInput:
    name: str
    min_lifetime_points: int


@strawberry.input
class LoyaltyProgramInput:
    points_per_currency_unit: Decimal | None = strawberry.UNSET
    points_expire_after_days: int | None = strawberry.UNSET
    tiers: list[TierInput] | None = strawberry.UNSET
    birthday_reward_enabled: bool | None = strawberry.UNSET
    birthday_reward_points: int | None = strawberry.UNSET
    referral_bonus_points: int | None = strawberry.UNSET
    referee_bonus_points: int | None = strawberry.UNSET
    at_risk_after_days: int | None = strawberry.UNSET
    lost_after_days: int | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in (
            "points_per_currency_unit",
            "birthday_reward_enabled",
            "birthday_reward_points",
            "referral_bonus_points",
            "referee_bonus_points",
            "at_risk_after_days",
            "lost_after_days",
        ):
            value = getattr(self, name)
            if value is not strawberry.UNSET and value is not None:
                out[name] = value
        # null is meaningful here: points never expire.
        if self.points_expire_after_days is not strawberry.UNSET:
            out["points_expire_after_days"] = self.points_expire_after_days
        if self.tiers is not strawberry.UNSET and self.tiers is not None:
            out["tiers"] = [Tier(t.name, t.min_lifetime_points) for t in self.tiers]
        return out


@strawberry.type
class LoyaltyProgramPayload:
    program: LoyaltyProgramType | None
    errors: list[WalletError]


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
    return WalletPayload.of(result)


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
            return LoyaltyProgramPayload(program=None, errors=wallet_errors(exc))
        return LoyaltyProgramPayload(program=LoyaltyProgramType.of(program), errors=[])
