"""A sentinel for "the client did not send this field", distinct from an explicit null."""

from __future__ import annotations

from enum import Enum
from typing import Literal, TypeAlias, TypeVar


class _Unset(Enum):
    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset.UNSET
Unset: TypeAlias = Literal[_Unset.UNSET]

T = TypeVar("T")


def is_set(value: T | Unset) -> bool:
    return value is not UNSET
