"""What hot paths need to know about an organization, cached for a few seconds.

The POS wallet lookup needs the phone region (to read the number) and the program (for the
tier); asking the database for both on every request would triple its cost. Changes made in
this process are seen at once (`forget_profile`), other processes see them within the TTL.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from app.models.organization import Organization
from app.wallets.program import LoyaltyProgram, program_of

PROFILE_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class OrganizationProfile:
    default_region: str
    timezone: str
    program: LoyaltyProgram


_cache: dict[uuid.UUID, tuple[float, OrganizationProfile]] = {}


async def load_profile(organization_id: uuid.UUID) -> OrganizationProfile:
    now = time.monotonic()
    hit = _cache.get(organization_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    org = await Organization.get(id=organization_id)
    profile = OrganizationProfile(org.default_region, org.timezone, program_of(org))
    _cache[organization_id] = (now + PROFILE_CACHE_SECONDS, profile)
    return profile


def forget_profile(organization_id: uuid.UUID) -> None:
    _cache.pop(organization_id, None)


def clear_profiles() -> None:
    _cache.clear()
