from __future__ import annotations

import datetime as dt
import re

import pytest

from app.lifecycle import rules
from app.lifecycle.rules import SEGMENT_TABLE, fm_score, segment_for, stage_for
from app.models.customer import LifecycleStage as Stage
from app.models.customer import RfmSegment as Seg
from app.organizations.program import LoyaltyProgram

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DEFAULT = LoyaltyProgram()


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


class TestStageFor:
    @pytest.mark.parametrize(
        ("order_count", "last_order_at", "expected"),
        [
            (0, None, Stage.MEMBER),
            (0, ago(3), Stage.MEMBER),  # every order refunded
            (2, None, Stage.MEMBER),  # no known last order: nothing to measure recency from
            (1, ago(0), Stage.ONE_TIME_BUYER),
            (1, ago(180), Stage.ONE_TIME_BUYER),  # exactly 180 days is not older than 180
            (2, ago(180), Stage.ACTIVE),
            (2, ago(180.0001), Stage.AT_RISK),
            (1, ago(181), Stage.AT_RISK),
            (7, ago(365), Stage.AT_RISK),
            (7, ago(365.0001), Stage.LOST),
            (1, ago(1000), Stage.LOST),
        ],
    )
    def test_default_thresholds(
        self, order_count: int, last_order_at: dt.datetime | None, expected: Stage
    ) -> None:
        assert stage_for(order_count, last_order_at, NOW, DEFAULT) is expected

    def test_thresholds_come_from_the_program(self) -> None:
        program = LoyaltyProgram(at_risk_after_days=30, lost_after_days=90)
        assert stage_for(2, ago(29), NOW, program) is Stage.ACTIVE
        assert stage_for(2, ago(31), NOW, program) is Stage.AT_RISK
        assert stage_for(2, ago(91), NOW, program) is Stage.LOST


class TestSegmentFor:
    def test_table_cells(self) -> None:
        assert segment_for(5, 1, 1) is Seg.NEW
        assert segment_for(5, 5, 5) is Seg.CHAMPIONS
        assert segment_for(4, 1, 1) is Seg.PROMISING
        assert segment_for(4, 4, 5) is Seg.CHAMPIONS  # FM = round-half-up(4.5) = 5
        assert segment_for(3, 3, 3) is Seg.NEED_ATTENTION
        assert segment_for(2, 1, 2) is Seg.HIBERNATING  # FM = round-half-up(1.5) = 2
        assert segment_for(2, 5, 5) is Seg.CANNOT_LOSE_THEM
        assert segment_for(1, 1, 1) is Seg.LOST
        assert segment_for(1, 2, 3) is Seg.AT_RISK

    def test_fm_rounds_half_up(self) -> None:
        assert [fm_score(f, m) for f, m in [(1, 1), (1, 2), (2, 3), (4, 5), (5, 5)]] == [
            1,
            2,
            3,
            5,
            5,
        ]

    @pytest.mark.parametrize("scores", [(0, 1, 1), (1, 6, 1), (1, 1, -1)])
    def test_rejects_scores_outside_1_to_5(self, scores: tuple[int, int, int]) -> None:
        with pytest.raises(ValueError, match=r"score must be 1\.\.5"):
            segment_for(*scores)

    def test_docstring_prints_the_table(self) -> None:
        doc = rules.__doc__ or ""
        for r, row in SEGMENT_TABLE.items():
            line = next(x for x in doc.splitlines() if re.match(rf"^{r}\s{{2,}}[A-Z]", x))
            assert line.split()[1:] == [s.value for s in row]

    def test_every_cell_is_a_segment_and_every_segment_is_used(self) -> None:
        used = {s for row in SEGMENT_TABLE.values() for s in row}
        assert sorted(SEGMENT_TABLE) == [1, 2, 3, 4, 5]
        assert all(len(row) == 5 for row in SEGMENT_TABLE.values())
        assert used == set(Seg)
