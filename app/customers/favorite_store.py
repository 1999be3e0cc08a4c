"""The precedence rule for a customer's favorite store.

The wallet app is the shopper's own choice; a signup form is what they told us once; an import
is what another system believed; purchase history is only inferred. A source may replace the
current favorite only when it ranks at least as high.
"""

from __future__ import annotations

from app.models.customer import FavoriteStoreSource

PRECEDENCE: tuple[FavoriteStoreSource, ...] = (
    FavoriteStoreSource.WALLET_APP,
    FavoriteStoreSource.SIGNUP_FORM,
    FavoriteStoreSource.IMPORT,
    FavoriteStoreSource.PURCHASE_HISTORY,
)


def rank(source: FavoriteStoreSource) -> int:
    """Lower is stronger."""
    return PRECEDENCE.index(source)


def may_replace(current: FavoriteStoreSource | None, incoming: FavoriteStoreSource) -> bool:
    return current is None or rank(incoming) <= rank(current)
