"""Which operations take the compiled path: the root fields it may serve, and the POS
documents compiled (and registered as persisted queries) when the service starts.

A root field is served by calling the same function its strawberry resolver delegates to;
the compiler checks at startup that the resolver takes exactly the arguments that function
does, so the two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.graphql.context import Context
from app.graphql.customers.queries import customer_page
from app.graphql.wallets.queries import find_wallet


@dataclass(frozen=True)
class RootField:
    """A root field of the compiled path and the function that resolves it."""

    parent: str
    name: str
    resolve: Callable[..., Awaitable[Any]]

    async def __call__(self, context: Context, arguments: dict[str, Any]) -> Any:
        return await self.resolve(context, **arguments)


ROOT_FIELDS: tuple[RootField, ...] = (
    RootField("Query", "wallet", find_wallet),
    # The admin customer table's pages (any sort, filter and paging arguments; `totalCount`
    # and fields that load more rows are left to the general path).
    RootField("Query", "customers", customer_page),
)

# The whole Wallet a till shows. A document may select any subset of these fields, in any
# order, with aliases and `__typename`; `pointsExpiringSoon` reads the ledger and is left to
# the general path.
_WALLET = (
    "customerId balance lifetimePoints tier { name minLifetimePoints } "
    "nextTier { name minLifetimePoints } pointsToNextTier tierProgress"
)

POS_DOCUMENTS: dict[str, str] = {
    "WalletByPhone": (
        f"query WalletByPhone($phone: String!) {{ wallet(phone: $phone) {{ {_WALLET} }} }}"
    ),
    "WalletByEmail": (
        f"query WalletByEmail($email: String!) {{ wallet(email: $email) {{ {_WALLET} }} }}"
    ),
    "WalletByExternalReference": (
        "query WalletByExternalReference($externalReference: String!) "
        f"{{ wallet(externalReference: $externalReference) {{ {_WALLET} }} }}"
    ),
    "WalletByCustomerId": (
        "query WalletByCustomerId($customerId: ID!) "
        f"{{ wallet(customerId: $customerId) {{ {_WALLET} }} }}"
    ),
}
