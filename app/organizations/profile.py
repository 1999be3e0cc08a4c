"""What hot paths need to know about an organization, cached for a few seconds.

The POS wallet lookup needs the phone region (to read the number) and the program (for the
tier); asking the database for both on every request would triple its cost. Changes made in
this process are seen at once (`forget_profile`), other processes see them within the TTL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.clock import monotonic
from app.organizations import repository
from app.organizations.program import LoyaltyProgram, program_of

PROFILE_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class OrganizationProfile:
    default_region: str
    timezone: str
    program: LoyaltyProgram


_cache: dict[uuid.UUID, tuple[float, OrganizationProfile]] = {}


async def load_profile(organization_id: uuid.UUID) -> OrganizationProfile:
    now = monotonic()
    hit = _cache.get(organization_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    return await load_profile_fresh(organization_id)


async def load_program(organization_id: uuid.UUID) -> LoyaltyProgram:
    """The organization's program, through the short-lived profile cache."""
    return (await load_profile(organization_id)).program


async def load_profile_fresh(organization_id: uuid.UUID) -> OrganizationProfile:
    """The profile as stored now, for jobs that must see a change made a second ago."""
    org = await repository.get(organization_id)
    profile = OrganizationProfile(org.default_region, org.timezone, program_of(org))
    _cache[organization_id] = (monotonic() + PROFILE_CACHE_SECONDS, profile)
    return profile


async def load_program_fresh(organization_id: uuid.UUID) -> LoyaltyProgram:
    return (await load_profile_fresh(organization_id)).program


def forget_profile(organization_id: uuid.UUID) -> None:
    _cache.pop(organization_id, None)


def clear_profiles() -> None:
    _cache.clear()
