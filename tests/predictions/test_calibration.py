from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from app.predictions.bgnbd import fit_bgnbd
from app.predictions.calibration import Calibration, calibrate, compare
from tests.predictions.cdnow import cdnow_customers

HOLDOUT_WEEKS = 39.0


class TestCalibration:
    def test_predicted_holdout_purchases_are_within_10_percent_of_the_simulation(self) -> None:
        sim = cdnow_customers(seed=21, holdout=HOLDOUT_WEEKS)
        assert sim.holdout_purchases is not None
        result = calibrate(
            sim.frequency, sim.recency, sim.age, sim.holdout_purchases, HOLDOUT_WEEKS
        )
        assert result.converged
        assert result.customers == 20_000
        assert result.actual_total == sim.holdout_purchases.sum()
        assert result.relative_error is not None
        assert abs(result.relative_error) < 0.10
        assert result.predicted_total == pytest.approx(result.actual_total, rel=0.10)

    def test_buckets_split_the_totals_by_frequency_before_the_cut_off(self) -> None:
        sim = cdnow_customers(seed=22, holdout=HOLDOUT_WEEKS)
        assert sim.holdout_purchases is not None
        result = calibrate(
            sim.frequency, sim.recency, sim.age, sim.holdout_purchases, HOLDOUT_WEEKS
        )
        labels = [b.frequency for b in result.buckets]
        assert labels == ["0", "1", "2", "3", "4", "5", "6", "7+"]
        assert sum(b.customers for b in result.buckets) == 20_000
        assert result.buckets[0].customers == int((sim.frequency == 0).sum())
        assert result.buckets[7].customers == int((sim.frequency >= 7).sum())
        assert sum(b.predicted for b in result.buckets) == pytest.approx(result.predicted_total)
        assert sum(b.actual for b in result.buckets) == pytest.approx(result.actual_total)
        # Each well-populated bucket is predicted within 20% (the paper's figure 3 shape).
        for bucket in result.buckets:
            if bucket.customers >= 500:
                assert bucket.predicted == pytest.approx(bucket.actual, rel=0.2)
        # The error of the expectation per customer, a sanity band: not zero, below the spread.
        assert 0 < result.mean_absolute_error < sim.holdout_purchases.std()

    def test_a_wrong_model_is_visible(self) -> None:
        # The fit compares well; the same model with the prior mean purchase rate doubled (r
        # twice as large) does not, although each customer's own history tempers the prior.
        sim = cdnow_customers(seed=23, n=5_000, holdout=HOLDOUT_WEEKS)
        assert sim.holdout_purchases is not None
        right = fit_bgnbd(sim.frequency, sim.recency, sim.age)
        busier = replace(right, params=replace(right.params, r=2 * right.params.r))
        data = (sim.frequency, sim.recency, sim.age, sim.holdout_purchases)
        good = compare(right, HOLDOUT_WEEKS, *data)
        bad = compare(busier, HOLDOUT_WEEKS, *data)
        assert good.relative_error is not None
        assert bad.relative_error is not None
        assert abs(good.relative_error) < 0.10 < 0.2 < bad.relative_error
        assert bad.mean_absolute_error > good.mean_absolute_error

    def test_weights_count_customers(self) -> None:
        x = np.array([0.0, 2.0, 2.0])
        t_x = np.array([0.0, 10.0, 10.0])
        age = np.array([20.0, 30.0, 30.0])
        actual = np.array([0.0, 1.0, 1.0])
        fit = fit_bgnbd(
            *(cdnow_customers(seed=3, n=2_000).__dict__[k] for k in ("frequency", "recency", "age"))
        )
        rows = compare(fit, 10.0, x, t_x, age, actual)
        weighted = compare(fit, 10.0, x[:2], t_x[:2], age[:2], actual[:2], weights=[1.0, 2.0])
        assert weighted.customers == rows.customers == 3
        assert weighted.predicted_total == pytest.approx(rows.predicted_total)
        assert weighted.actual_total == rows.actual_total == 2
        assert weighted.mean_absolute_error == pytest.approx(rows.mean_absolute_error)

    def test_json_round_trip(self) -> None:
        sim = cdnow_customers(seed=24, n=3_000, holdout=HOLDOUT_WEEKS)
        assert sim.holdout_purchases is not None
        result = calibrate(
            sim.frequency, sim.recency, sim.age, sim.holdout_purchases, HOLDOUT_WEEKS
        )
        stored = json.loads(json.dumps(result.to_json()))
        assert stored["params"].keys() == {"r", "alpha", "a", "b"}
        assert stored["buckets"][7]["frequency"] == "7+"
        assert Calibration.from_json(stored) == result

    def test_bad_input(self) -> None:
        fit = fit_bgnbd([0, 1, 2], [0.0, 1.0, 2.0], [3.0, 3.0, 3.0])
        with pytest.raises(ValueError, match="holdout_length"):
            compare(fit, 0.0, [0], [0.0], [1.0], [0.0])
        with pytest.raises(ValueError, match="holdout_purchases"):
            compare(fit, 1.0, [0], [0.0], [1.0], [0.0, 1.0])
        with pytest.raises(ValueError, match="holdout_purchases"):
            compare(fit, 1.0, [0], [0.0], [1.0], [-1.0])

    def test_nobody_bought_in_the_holdout(self) -> None:
        fit = fit_bgnbd([0, 1, 2], [0.0, 1.0, 2.0], [3.0, 3.0, 3.0])
        result = compare(fit, 1.0, [0, 1], [0.0, 1.0], [3.0, 3.0], [0.0, 0.0])
        assert result.relative_error is None
        assert result.to_json()["relativeError"] is None
