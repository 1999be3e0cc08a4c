from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from app.core.errors import DomainError, InvalidArgument
from app.core.ids import parse_id
from app.graphql.context import Context, Info
from app.graphql.wallets.finance import LedgerSummaryPeriodType, PointsLiabilityType
from app.graphql.wallets.types import LoyaltyProgramType, WalletType
from app.wallets import program_admin
from app.wallets import service as wallets
from app.wallets.service import LedgerPeriod


async def find_wallet(
    context: Context,
    *,
    customer_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    external_reference: str | None = None,
) -> WalletType | None:
    """The `wallet` field: the resolver below and the compiled POS path
    (app.graphql.persisted) both call this, so the two cannot drift apart."""
    principal = context.principal
    try:
        holder = await wallets.wallet_holder(
            principal,
            customer_id=parse_id(customer_id, "customerId") if customer_id else None,
            phone=phone,
            email=email,
            external_reference=external_reference,
        )
    except DomainError as exc:
        raise InvalidArgument(exc.message) from None
    if holder is None:
        return None
    return WalletType.of(await wallets.wallet_of(principal, holder))


@strawberry.type
class WalletQueries:
    @strawberry.field(
        description="POS lookup of a wallet by exactly one key. Archived customers keep a "
        "working wallet; a merged one resolves to its survivor."
    )
    async def wallet(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        phone: str | None = None,
        email: str | None = None,
        external_reference: str | None = None,
    ) -> WalletType | None:
        return await find_wallet(
            info.context,
            customer_id=customer_id,
            phone=phone,
            email=email,
            external_reference=external_reference,
        )

    @strawberry.field(description="Earning rule, expiry, tiers, rewards and lifecycle thresholds.")
    async def loyalty_program(self, info: Info) -> LoyaltyProgramType:
        return LoyaltyProgramType.of(await program_admin.get_program(info.context.principal))

    @strawberry.field(
        description="The points liability: outstanding points, their money value at the "
        "program's point value, and points expiring within 30/60/90 days (finance:read)."
    )
    async def points_liability(self, info: Info) -> PointsLiabilityType:
        return PointsLiabilityType.of(await wallets.points_liability(info.context.principal))

    @strawberry.field(
        description="Ledger movements per period from `from` to `to` (local dates, both "
        "included; at most 36 months): what a finance team reconciles (finance:read)."
    )
    async def ledger_summary(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        group_by: LedgerPeriod = LedgerPeriod.MONTH,
    ) -> list[LedgerSummaryPeriodType]:
        rows = await wallets.ledger_summary(info.context.principal, from_, to, group_by)
        return [LedgerSummaryPeriodType.of(row) for row in rows]
