from __future__ import annotations

import strawberry

from app.core.errors import DomainError, InvalidArgument
from app.core.ids import parse_id
from app.graphql.context import Context, Info
from app.graphql.wallets.types import LoyaltyProgramType, WalletType
from app.wallets import program_admin
from app.wallets import service as wallets


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
