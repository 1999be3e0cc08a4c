from __future__ import annotations

import time
import uuid

import pytest

from app.core.errors import InvalidArgument, PublicErrorCode
from app.core.ids import new_id, parse_id, try_parse_id


class TestNewId:
    def test_is_a_version_7_uuid(self) -> None:
        value = new_id()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122

    def test_carries_the_creation_time_in_milliseconds(self) -> None:
        before = time.time_ns() // 1_000_000
        value = new_id()
        after = time.time_ns() // 1_000_000
        assert before <= value.int >> 80 <= after

    def test_ids_made_in_quick_succession_sort_by_creation(self) -> None:
        # Thousands of ids share each millisecond here; keyset pagination and "newest
        # first" lists rely on the order of ids being the order of creation.
        ids = [new_id() for _ in range(20_000)]
        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids)


class TestParseId:
    def test_accepts_surrounding_spaces(self) -> None:
        value = new_id()
        assert parse_id(f"  {value} ") == value

    @pytest.mark.parametrize("raw", ["", "nope", "1234", "01a20408-0000-7000-8000"])
    def test_a_malformed_id_is_a_typed_client_error(self, raw: str) -> None:
        with pytest.raises(InvalidArgument) as info:
            parse_id(raw, "storeId")
        assert info.value.code is PublicErrorCode.INVALID_ARGUMENT
        assert "storeId" in str(info.value)

    def test_try_parse_returns_none_for_garbage(self) -> None:
        assert try_parse_id("garbage") is None
        value = new_id()
        assert try_parse_id(str(value)) == value
