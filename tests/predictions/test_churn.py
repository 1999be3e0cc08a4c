from __future__ import annotations

import numpy as np
import pytest

from app.predictions.churn import (
    HIGH_RISK_BELOW,
    LOW_RISK_FROM,
    MIN_CUSTOMERS,
    MIN_REPEAT_BUYERS,
    ChurnRisk,
    churn_risk,
    churn_risks,
    eligibility,
)


class TestChurnRisk:
    def test_bands_at_their_thresholds(self) -> None:
        assert churn_risk(1.0) is ChurnRisk.LOW
        assert churn_risk(LOW_RISK_FROM) is ChurnRisk.LOW
        assert churn_risk(np.nextafter(LOW_RISK_FROM, 0)) is ChurnRisk.MEDIUM
        assert churn_risk(HIGH_RISK_BELOW) is ChurnRisk.MEDIUM
        assert churn_risk(np.nextafter(HIGH_RISK_BELOW, 0)) is ChurnRisk.HIGH
        assert churn_risk(0.0) is ChurnRisk.HIGH

    def test_many_at_once_agree_with_one_at_a_time(self) -> None:
        p = np.linspace(0, 1, 101)
        assert churn_risks(p).tolist() == [churn_risk(v).value for v in p]

    @pytest.mark.parametrize("value", [-0.1, 1.1, float("nan")])
    def test_not_a_probability(self, value: float) -> None:
        with pytest.raises(ValueError, match="probability"):
            churn_risk(value)
        with pytest.raises(ValueError, match="probability"):
            churn_risks([value])


class TestEligibility:
    def test_enough_history(self) -> None:
        x = np.r_[np.zeros(MIN_CUSTOMERS - MIN_REPEAT_BUYERS), np.ones(MIN_REPEAT_BUYERS)]
        assert eligibility(x) is None

    def test_too_few_customers(self) -> None:
        reason = eligibility(np.ones(MIN_CUSTOMERS - 1))
        assert reason == (
            f"At least {MIN_CUSTOMERS} customers with an order are needed;"
            f" the organization has {MIN_CUSTOMERS - 1}."
        )

    def test_too_few_repeat_buyers(self) -> None:
        x = np.r_[np.zeros(1_000), np.ones(MIN_REPEAT_BUYERS - 1)]
        reason = eligibility(x)
        assert reason is not None
        assert f"At least {MIN_REPEAT_BUYERS} customers with a repeat order" in reason
        assert f"has {MIN_REPEAT_BUYERS - 1}." in reason

    def test_both_reasons_and_weights(self) -> None:
        reason = eligibility([0, 3], weights=[10, 5])
        assert reason is not None
        assert "has 15." in reason
        assert "has 5." in reason
        assert eligibility([0, 3], weights=[1_000, MIN_REPEAT_BUYERS]) is None
