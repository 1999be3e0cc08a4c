"""The slug of an organization: the part of its public page addresses that names it."""

from __future__ import annotations

import re
import secrets
import unicodedata

MAX_SLUG = 48
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug_of(name: str) -> str:
    """ "Café Müller & Co." -> "cafe-muller-co"; a name with no letters or digits -> "shop"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "shop"


def with_suffix(slug: str) -> str:
    """The slug made distinct from one already taken."""
    return f"{slug[: MAX_SLUG - 7]}-{secrets.token_hex(3)}"
